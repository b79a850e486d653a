/**
 * Webhook deliveries seen, by the platform's event key: a retried delivery is recognised and
 * applied once (BRIEF §4 dedupe table).
 */
import type { Knex } from 'knex';

import { batched } from '../db/batch';
import { toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';
import { withDeadlockRetry } from './queue-repository';

export function createWebhookEventsRepository( knex: Knex, t: Tables ) {
	// A burst of deliveries is recorded with one multi-row INSERT (src/db/batch.ts).
	const insert = batched(
		async ( rows: ReadonlyArray< Record< string, unknown > > ) => {
			await withDeadlockRetry( () => knex( t.webhookEvents ).insert( [ ...rows ] ).onConflict( [ 'platform', 'event_key' ] ).ignore() );
			return rows.map( () => undefined );
		},
		{ waitMs: 2 }
	);
	return {
		/** Records the event (a repeat is a no-op). */
		record( platform: string, key: string, type: string, now: Date ): Promise< void > {
			return insert( { platform, event_key: key.slice( 0, 191 ), event_type: type.slice( 0, 100 ), received_at: toSqlDateTime( now ) } );
		},
	};
}

export type WebhookEventsRepository = ReturnType< typeof createWebhookEventsRepository >;
