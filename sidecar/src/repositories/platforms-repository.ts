/**
 * The spec §5 `platforms` table, one row per platform that keeps state outside the settings: the
 * OAuth grant an admin gave by consent (Google Meet) and the pending consent requests.
 *
 * Columns used: `refresh_token` (AES-256-GCM, only this module decrypts), `client_id` (the OAuth
 * client that obtained the grant), `config` (JSON: account, connected_at, connected_by, scope,
 * id_prefix, oauth_states). Pending consents live in the row rather than in memory so that any
 * sidecar instance can finish a consent another one started; each is single use (row lock).
 */
import { randomBytes } from 'node:crypto';

import type { Knex } from 'knex';

import type { PlatformId } from '@bkx-video/contracts';

import { decryptSecret, encryptSecret } from '../crypto';
import { fromSqlDateTime, toSqlDateTime } from '../db/time';
import type { Tables } from '../db/tables';
import type { PlatformGrant, PlatformGrants } from '../platforms/video-platform';

/** A consent request waiting for its answer (state stored as a hash; verifier encrypted). */
interface StoredState {
	hash: string;
	user_id: number;
	verifier: string;
	redirect_uri: string;
	expires_at: string;
	used_at: string | null;
}

interface RowConfig {
	account?: string | null;
	connected_at?: string | null;
	connected_by?: number | null;
	scope?: string | null;
	id_prefix?: string;
	oauth_states?: StoredState[];
}

/** At most this many consents may wait at once; the oldest goes first. */
const MAX_PENDING_STATES = 20;

export type ConsumeStateResult =
	| { ok: true; verifier: string; redirectUri: string }
	| { ok: false; reason: 'unknown' | 'expired' | 'used' | 'other_user' };

export interface PlatformConnection {
	connected: boolean;
	account: string | null;
	connectedAt: Date | null;
}

/** 8 base32hex characters (Google event ids allow only a-v and 0-9, reference §3.2). */
function newIdPrefix(): string {
	const alphabet = '0123456789abcdefghijklmnopqrstuv';
	return [ ...randomBytes( 8 ) ].map( ( b ) => alphabet[ b % 32 ] ).join( '' );
}

function parseConfig( raw: unknown ): RowConfig {
	if ( typeof raw !== 'string' || ! raw ) {
		return {};
	}
	try {
		const v = JSON.parse( raw ) as unknown;
		return v && typeof v === 'object' ? ( v as RowConfig ) : {};
	} catch {
		return {};
	}
}

export function createPlatformsRepository( knex: Knex, t: Tables, encryptionKey: Buffer ) {
	/** The platform's row, created on first use, locked for the rest of the transaction. */
	async function lockRow( trx: Knex.Transaction, platform: PlatformId, now: Date ): Promise< { config: RowConfig; refreshToken: string | null } > {
		const ts = toSqlDateTime( now );
		await trx( t.platforms )
			.insert( { platform_name: platform, config: JSON.stringify( { id_prefix: newIdPrefix() } ), created_at: ts, updated_at: ts } )
			.onConflict( 'platform_name' )
			.ignore();
		const row = await trx( t.platforms ).first( 'config', 'refresh_token' ).where( 'platform_name', platform ).forUpdate();
		return { config: parseConfig( row?.config ), refreshToken: ( row?.refresh_token as string | null ) ?? null };
	}

	async function writeConfig( trx: Knex.Transaction, platform: PlatformId, config: RowConfig, now: Date, extra: Record< string, unknown > = {} ) {
		await trx( t.platforms )
			.where( 'platform_name', platform )
			.update( { config: JSON.stringify( config ), updated_at: toSqlDateTime( now ), ...extra } );
	}

	const grants: PlatformGrants = {
		async load( platform: PlatformId ): Promise< PlatformGrant | null > {
			const row = await knex( t.platforms ).first( 'refresh_token', 'client_id', 'config' ).where( 'platform_name', platform );
			if ( ! row?.refresh_token ) {
				return null;
			}
			let refreshToken: string;
			try {
				refreshToken = decryptSecret( encryptionKey, row.refresh_token as string );
			} catch {
				// Another encryption key (rotated without re-encrypting): the admin reconnects.
				return null;
			}
			const config = parseConfig( row.config );
			return { refreshToken, clientId: ( row.client_id as string | null ) ?? '', account: config.account ?? null, idPrefix: config.id_prefix ?? '' };
		},

		async replaceRefreshToken( platform: PlatformId, previous: string, next: string ): Promise< void > {
			await knex.transaction( async ( trx ) => {
				const row = await trx( t.platforms ).first( 'refresh_token' ).where( 'platform_name', platform ).forUpdate();
				let stored: string | null = null;
				try {
					stored = row?.refresh_token ? decryptSecret( encryptionKey, row.refresh_token as string ) : null;
				} catch {
					stored = null;
				}
				// A reconnect in the meantime wins over a rotation of the old grant.
				if ( stored === previous ) {
					await trx( t.platforms ).where( 'platform_name', platform ).update( { refresh_token: encryptSecret( encryptionKey, next ) } );
				}
			} );
		},
	};

	return {
		grants,

		async connection( platform: PlatformId ): Promise< PlatformConnection > {
			const row = await knex( t.platforms ).first( 'refresh_token', 'config' ).where( 'platform_name', platform );
			const config = parseConfig( row?.config );
			const connected = Boolean( row?.refresh_token );
			return {
				connected,
				account: connected ? config.account ?? null : null,
				connectedAt: connected ? fromSqlDateTime( config.connected_at ?? null ) : null,
			};
		},

		/** Remembers a consent request; drops expired ones and keeps at most {@link MAX_PENDING_STATES}. */
		async saveState(
			platform: PlatformId,
			s: { stateHash: string; userId: number; verifier: string; redirectUri: string; expiresAt: Date },
			now: Date
		): Promise< void > {
			await knex.transaction( async ( trx ) => {
				const { config } = await lockRow( trx, platform, now );
				const live = ( config.oauth_states ?? [] ).filter( ( x ) => ( fromSqlDateTime( x.expires_at )?.getTime() ?? 0 ) > now.getTime() );
				live.push( {
					hash: s.stateHash,
					user_id: s.userId,
					verifier: encryptSecret( encryptionKey, s.verifier ),
					redirect_uri: s.redirectUri,
					expires_at: toSqlDateTime( s.expiresAt ),
					used_at: null,
				} );
				await writeConfig( trx, platform, { ...config, oauth_states: live.slice( -MAX_PENDING_STATES ) }, now );
			} );
		},

		/**
		 * Takes a consent request for `userId`: once only, before it expires. A used state stays
		 * (marked) until it expires, so a replay is told apart from a typo.
		 */
		async consumeState( platform: PlatformId, stateHash: string, userId: number, now: Date ): Promise< ConsumeStateResult > {
			return knex.transaction( async ( trx ) => {
				const row = await trx( t.platforms ).first( 'config' ).where( 'platform_name', platform ).forUpdate();
				const config = parseConfig( row?.config );
				const states = config.oauth_states ?? [];
				const found = states.find( ( x ) => x.hash === stateHash );
				if ( ! found ) {
					return { ok: false, reason: 'unknown' } as const;
				}
				if ( found.used_at ) {
					return { ok: false, reason: 'used' } as const;
				}
				if ( ( fromSqlDateTime( found.expires_at )?.getTime() ?? 0 ) <= now.getTime() ) {
					return { ok: false, reason: 'expired' } as const;
				}
				// Left usable for its owner: another admin cannot burn it.
				if ( found.user_id !== userId ) {
					return { ok: false, reason: 'other_user' } as const;
				}
				found.used_at = toSqlDateTime( now );
				await writeConfig( trx, platform, { ...config, oauth_states: states }, now );
				return { ok: true, verifier: decryptSecret( encryptionKey, found.verifier ), redirectUri: found.redirect_uri } as const;
			} );
		},

		/** Stores a new grant (replacing any earlier one); the refresh token is encrypted. */
		async saveGrant(
			platform: PlatformId,
			g: { refreshToken: string; clientId: string; account: string | null; scope: string; userId: number },
			now: Date
		): Promise< PlatformGrant > {
			return knex.transaction( async ( trx ) => {
				const { config } = await lockRow( trx, platform, now );
				const next: RowConfig = {
					...config,
					id_prefix: config.id_prefix || newIdPrefix(),
					account: g.account,
					connected_at: toSqlDateTime( now ),
					connected_by: g.userId,
					scope: g.scope,
				};
				await writeConfig( trx, platform, next, now, {
					refresh_token: encryptSecret( encryptionKey, g.refreshToken ),
					client_id: g.clientId,
					access_token: null,
					token_expiry: null,
				} );
				return { refreshToken: g.refreshToken, clientId: g.clientId, account: g.account, idPrefix: next.id_prefix! };
			} );
		},

		/** Forgets the grant; returns it (for revocation) or null. The id prefix stays: ids keep apart. */
		async forgetGrant( platform: PlatformId, now: Date ): Promise< PlatformGrant | null > {
			const grant = await grants.load( platform );
			await knex.transaction( async ( trx ) => {
				const row = await trx( t.platforms ).first( 'config' ).where( 'platform_name', platform ).forUpdate();
				if ( ! row ) {
					return;
				}
				const config = parseConfig( row.config );
				await writeConfig( trx, platform, { ...config, account: null, connected_at: null, connected_by: null, scope: null }, now, {
					refresh_token: null,
					client_id: null,
					access_token: null,
					token_expiry: null,
				} );
			} );
			return grant;
		},
	};
}

export type PlatformsRepository = ReturnType< typeof createPlatformsRepository >;
