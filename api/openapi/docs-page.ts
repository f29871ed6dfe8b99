/**
 * A self-contained API reference page: it fetches /openapi.json from the same origin and renders it.
 * No CDN and no external fonts, so it works offline.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tributary API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}
header{background:#0b3d5c;color:#fff;padding:1rem 2rem}main{max-width:960px;margin:0 auto;padding:1rem 2rem}
h2{border-bottom:1px solid #ccc;padding-bottom:.25rem;margin-top:2rem}
details{border:1px solid #d0d7de;border-radius:6px;margin:.5rem 0;padding:.25rem .75rem}
summary{cursor:pointer;font-weight:600}summary:focus-visible{outline:3px solid #0b5cad}
.m{display:inline-block;min-width:4.5rem;font-family:monospace;text-transform:uppercase;color:#fff;border-radius:4px;padding:0 .4rem;margin-right:.5rem;text-align:center}
.get{background:#0b6e4f}.post{background:#0b5cad}.patch{background:#8a4b00}.delete{background:#a4161a}.put{background:#5b2a86}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:13px}code{font-family:ui-monospace,monospace}
</style></head>
<body><header><h1>Tributary API reference</h1><p>Machine-readable: <a style="color:#fff" href="/openapi.json">/openapi.json</a></p></header>
<main id="main" aria-live="polite">Loading…</main>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const main=document.getElementById('main');main.textContent='';
  const p=document.createElement('p');p.textContent=doc.info.description;main.append(p);
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths)) for(const [method,op] of Object.entries(item)) (byTag[op.tags[0]]??=[]).push({path,method,op});
  for(const [tag,ops] of Object.entries(byTag)){
    const h=document.createElement('h2');h.textContent=tag;main.append(h);
    for(const {path,method,op} of ops){
      const d=document.createElement('details');const s=document.createElement('summary');
      const m=document.createElement('span');m.className='m '+method;m.textContent=method;
      const c=document.createElement('code');c.textContent=path;
      s.append(m,c,document.createTextNode(' — '+op.summary));d.append(s);
      const pre=document.createElement('pre');
      pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses,access:op['x-access']},null,2);
      d.append(pre);main.append(d);
    }
  }
}).catch(e=>{document.getElementById('main').textContent='Could not load /openapi.json: '+e});
</script></body></html>`;
