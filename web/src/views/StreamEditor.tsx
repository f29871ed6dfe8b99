import { useSession } from '../context.js';
import { CreateStream } from './editor/CreateStream.js';
import { EvolveLoader } from './editor/EvolveSchema.js';

type Props = { mode: 'create' } | { mode: 'evolve'; stream: string };

/** Creating a stream and evolving its schema; both need a tenant admin (or the platform) key. */
export function StreamEditor(props: Props) {
  const { me } = useSession();
  if (me.kind === 'key' && me.role !== 'admin') {
    return (
      <section>
        <h1>{props.mode === 'create' ? 'Create a stream' : 'Evolve schema'}</h1>
        <p class="problem" role="alert">
          Your key (role {me.role}) cannot{' '}
          {props.mode === 'create' ? 'create streams' : 'change stream schemas'}.
        </p>
      </section>
    );
  }
  return props.mode === 'create' ? <CreateStream /> : <EvolveLoader stream={props.stream} />;
}
