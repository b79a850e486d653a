/**
 * The audit log (`{prefix}bkx_video_audit_log`): who did what, for the admin's record.
 *
 * `details` is JSON of facts only; callers never put secrets, tokens, join links or e-mail
 * addresses in it.
 */
import type { Knex } from 'knex';

import { toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';

export interface AuditEntry {
	/** `<area>.<verb>`, e.g. `platform.check`. */
	action: string;
	actorId: number;
	subjectType?: string | null;
	subjectId?: number | null;
	details?: Record< string, string | number | boolean | null >;
}

export function createAuditLogRepository( knex: Knex, t: Tables ) {
	return {
		async append( entry: AuditEntry, now: Date ): Promise< void > {
			await knex( t.auditLog ).insert( {
				action: entry.action.slice( 0, 64 ),
				actor_id: Math.max( 0, entry.actorId ),
				subject_type: entry.subjectType ?? null,
				subject_id: entry.subjectId ?? null,
				details: entry.details ? JSON.stringify( entry.details ) : null,
				created_at: toSqlDateTime( now ),
			} );
		},
	};
}

export type AuditLogRepository = ReturnType< typeof createAuditLogRepository >;
