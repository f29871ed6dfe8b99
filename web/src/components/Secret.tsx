import { useState } from 'preact/hooks';

/**
 * A secret the API returns once. Shown with a Copy button until dismissed; after that the console
 * cannot show it again (it is not stored anywhere).
 */
export function SecretOnce({ secret, label, onDone }: { secret: string; label: string; onDone: () => void }) {
  const [copyStatus, setCopyStatus] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopyStatus('Copied to the clipboard.');
    } catch {
      setCopyStatus('Copy failed: select the text and copy it manually.');
    }
  };
  return (
    <section class="secret" aria-labelledby="secret-heading">
      <h3 id="secret-heading">{label}</h3>
      <p>
        <strong>Copy it now.</strong> This secret is shown only once; it cannot be retrieved later.
      </p>
      <div class="row">
        <label for="secret-value" class="visually-hidden">
          Secret
        </label>
        <input
          id="secret-value"
          class="mono grow"
          readOnly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p class="small" aria-live="polite">
        {copyStatus}
      </p>
      <button type="button" class="secondary" onClick={onDone}>
        I have saved it
      </button>
    </section>
  );
}
