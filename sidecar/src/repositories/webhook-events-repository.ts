/**
 * Webhook deliveries seen, by the platform's event key: a retried delivery is recognised and
 * applied once (BRIEF §4 dedupe table).
 */
import type { Knex } from 'knex';

import { toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export function createWebhookEventsRepository( knex: Knex, t: Tables ) {
	return {
		/** Records the event; false when it was recorded before (a duplicate delivery). */
		async record( platform: string, key: string, type: string, now: Date ): Promise< boolean > {
			const [ result ] = ( await knex.raw( `INSERT IGNORE INTO \`${ t.webhookEvents }\` (platform, event_key, event_type, received_at) VALUES (?, ?, ?, ?)`, [
				platform,
				key.slice( 0, 191 ),
				type.slice( 0, 100 ),
				toSqlDateTime( now ),
			] ) ) as [ { affectedRows: number } ];
			return result.affectedRows === 1;
		},

		async forget( platform: string, key: string ): Promise< void > {
			await knex( t.webhookEvents ).where( { platform, event_key: key.slice( 0, 191 ) } ).delete();
		},
	};
}

export type WebhookEventsRepository = ReturnType< typeof createWebhookEventsRepository >;
