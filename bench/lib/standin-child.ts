// A stand-in in its own process, so the bench's clients do not share its event loop. Started by
// benchStandIn() with fork(); answers owner SQL over the IPC channel.
import { startStandIn } from '../../supabase/standin/index.ts';

const [kind, url, seed] = process.argv.slice(2);
const standIn = await startStandIn({
	backend: kind === 'postgres' ? { kind: 'postgres', url: url! } : { kind: 'pglite' },
	port: 0,
	...(seed === 'no-seed' ? { seedFile: null } : {})
});

interface Request {
	id: number;
	sql?: string;
	params?: (string | null)[];
	stop?: boolean;
}

process.on('message', (message: Request) => {
	void (async () => {
		if (message.stop) {
			await standIn.stop();
			process.send?.({ id: message.id, rows: [] });
			process.disconnect();
			return;
		}
		try {
			const rows = await standIn.backend.transaction((tx) =>
				tx.query(message.sql!, message.params)
			);
			process.send?.({ id: message.id, rows });
		} catch (error) {
			process.send?.({
				id: message.id,
				error: error instanceof Error ? error.message : String(error)
			});
		}
	})();
});
process.send?.({ ready: { url: standIn.url, anonKey: standIn.anonKey } });
