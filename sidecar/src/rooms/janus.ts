/**
 * A small client of Janus's HTTP API (Janus 1.1, `janus.plugin.videoroom`) for what the sidecar
 * does to rooms: create, exists, destroy, the allowed list, kick, list participants.
 *
 * Each operation runs in a short session of its own (create session → attach → requests →
 * destroy session). The sidecar calls Janus a few times per participant (admission, leaving) and
 * once per room, so three extra loopback round trips cost nothing, while a long-lived session
 * would need a keepalive under Janus's 60 s `session_timeout` and a re-create after every Janus
 * restart. VideoRoom room requests are synchronous: the `message` reply carries the result.
 *
 * @see https://janus.conf.meetecho.com/docs/rest.html (sessions, handles, `apisecret`)
 * @see https://janus.conf.meetecho.com/docs/videoroom.html (create, exists, destroy, allowed, kick)
 */
import { createHmac, randomBytes } from 'node:crypto';

export const VIDEOROOM = 'janus.plugin.videoroom';

/** VideoRoom error codes we act on. */
export const JANUS_VIDEOROOM_ERRORS = { noSuchRoom: 426, noSuchFeed: 428, unauthorized: 433, roomExists: 427 } as const;

/** A refusal by Janus (core or plugin) or a transport failure (`code` 0). */
export class JanusError extends Error {
	override name = 'JanusError';
	constructor( readonly code: number, message: string, options?: { cause?: unknown } ) {
		super( message, options );
	}
}

export interface JanusClientOptions {
	/** Janus's HTTP API, e.g. http://127.0.0.1:8088/janus. */
	url: string;
	/** Janus core `api_secret`, sent as `apisecret` on every request. */
	apiSecret?: string | null;
	/** VideoRoom `admin_key`, sent with `create`. */
	adminKey?: string | null;
	timeoutMs?: number;
	fetch?: typeof fetch;
}

export interface CreateRoomInput {
	room: number;
	description: string;
	/** Publishers at once: our `max_participants`. */
	publishers: number;
	/** Room secret: needed to edit, destroy, kick and change the allowed list. */
	secret: string;
	/** Needed to join (publishers and subscribers). */
	pin: string;
	/** Per-participant publish tokens; an empty list still turns the check on. */
	allowed: string[];
}

export interface JanusParticipant {
	id: number;
	display?: string;
	publisher: boolean;
}

type Json = Record< string, unknown >;

/**
 * A signed Janus token (core `token_auth` with `token_auth_secret`) valid until `expiresAt` for
 * the given plugins: `<expiry>,janus,<plugin>…:<base64 HMAC-SHA1>`.
 */
export function signedJanusToken( secret: string, expiresAt: Date, plugins: string[] = [ VIDEOROOM ] ): string {
	const data = [ String( Math.floor( expiresAt.getTime() / 1000 ) ), 'janus', ...plugins ].join( ',' );
	return `${ data }:${ createHmac( 'sha1', secret ).update( data ).digest( 'base64' ) }`;
}

export function createJanusClient( options: JanusClientOptions ) {
	const base = options.url.replace( /\/+$/, '' );
	const doFetch = options.fetch ?? fetch;
	const timeoutMs = options.timeoutMs ?? 10_000;
	const auth = options.apiSecret ? { apisecret: options.apiSecret } : {};

	async function post( path: string, body: Json ): Promise< Json > {
		let res: Response;
		try {
			res = await doFetch( `${ base }${ path }`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify( { ...body, ...auth, transaction: randomBytes( 8 ).toString( 'hex' ) } ),
				signal: AbortSignal.timeout( timeoutMs ),
			} );
		} catch ( error ) {
			throw new JanusError( 0, `Janus at ${ base } is not reachable: ${ ( error as Error ).message }`, { cause: error } );
		}
		let json: Json;
		try {
			json = ( await res.json() ) as Json;
		} catch ( error ) {
			throw new JanusError( 0, `Janus at ${ base } answered HTTP ${ res.status } without JSON`, { cause: error } );
		}
		if ( json.janus === 'error' ) {
			const e = ( json.error ?? {} ) as { code?: number; reason?: string };
			throw new JanusError( Number( e.code ) || 0, `Janus refused ${ String( body.janus ) }: ${ e.reason ?? 'unknown error' }` );
		}
		return json;
	}

	/** Runs `fn` with a `request( body )` on a fresh VideoRoom handle; the session is destroyed after. */
	async function withVideoRoom< T >( fn: ( request: ( body: Json ) => Promise< Json > ) => Promise< T > ): Promise< T > {
		const session = ( ( await post( '', { janus: 'create' } ) ).data as { id: number } ).id;
		try {
			const handle = ( ( await post( `/${ session }`, { janus: 'attach', plugin: VIDEOROOM } ) ).data as { id: number } ).id;
			return await fn( async ( body ) => {
				const reply = await post( `/${ session }/${ handle }`, { janus: 'message', body } );
				const data = ( ( reply.plugindata as { data?: Json } | undefined )?.data ?? {} ) as Json;
				if ( typeof data.error_code === 'number' ) {
					throw new JanusError( data.error_code, `VideoRoom refused ${ String( body.request ) }: ${ String( data.error ?? '' ) }` );
				}
				return data;
			} );
		} finally {
			await post( `/${ session }`, { janus: 'destroy' } ).catch( () => undefined );
		}
	}

	return {
		/** Janus's `info` (name, version, plugins): a reachability check. */
		async info(): Promise< { version_string?: string; plugins?: Record< string, unknown > } > {
			let res: Response;
			try {
				res = await doFetch( `${ base }/info`, { signal: AbortSignal.timeout( timeoutMs ) } );
			} catch ( error ) {
				throw new JanusError( 0, `Janus at ${ base } is not reachable: ${ ( error as Error ).message }`, { cause: error } );
			}
			return ( await res.json() ) as { version_string?: string; plugins?: Record< string, unknown > };
		},

		async exists( room: number ): Promise< boolean > {
			return withVideoRoom( async ( request ) => ( await request( { request: 'exists', room } ) ).exists === true );
		},

		/**
		 * Creates the room unless it exists (a concurrent create's 427 counts as exists), then adds
		 * `allowed` to its allowed list. Resolves to whether this call created it.
		 *
		 * @throws JanusError when Janus refuses (wrong admin key 433/429, a room of another secret…).
		 */
		async ensureRoom( input: CreateRoomInput ): Promise< boolean > {
			return withVideoRoom( async ( request ) => {
				let created = false;
				if ( ( await request( { request: 'exists', room: input.room } ) ).exists !== true ) {
					try {
						await request( {
							request: 'create',
							room: input.room,
							description: input.description,
							publishers: input.publishers,
							secret: input.secret,
							pin: input.pin,
							allowed: input.allowed,
							is_private: true,
							permanent: false,
							// One codec everyone decodes; VP8 simulcast is what Chromium sends by rid.
							videocodec: 'vp8',
							audiocodec: 'opus',
							// Per publisher; simulcast layers are chosen per subscriber below it.
							bitrate: 2_500_000,
							fir_freq: 10,
							notify_joining: false,
							...( options.adminKey ? { admin_key: options.adminKey } : {} ),
						} );
						created = true;
					} catch ( error ) {
						if ( ! ( error instanceof JanusError && error.code === JANUS_VIDEOROOM_ERRORS.roomExists ) ) {
							throw error;
						}
					}
				}
				if ( ! created && input.allowed.length ) {
					await request( { request: 'allowed', room: input.room, secret: input.secret, action: 'add', allowed: input.allowed } );
				}
				return created;
			} );
		},

		/** Adds or removes publish tokens. */
		async allowed( room: number, secret: string, action: 'add' | 'remove', tokens: string[] ): Promise< void > {
			await withVideoRoom( ( request ) => request( { request: 'allowed', room, secret, action, allowed: tokens } ) );
		},

		/** Kicks publishers by id; ids no longer there are skipped. */
		async kick( room: number, secret: string, ids: number[] ): Promise< void > {
			await withVideoRoom( async ( request ) => {
				for ( const id of ids ) {
					await request( { request: 'kick', room, secret, id } ).catch( ( error: unknown ) => {
						if ( ! ( error instanceof JanusError && error.code === JANUS_VIDEOROOM_ERRORS.noSuchFeed ) ) {
							throw error;
						}
					} );
				}
			} );
		},

		/** Destroys the room (everyone in it is dropped); a room already gone is fine. */
		async destroyRoom( room: number, secret: string ): Promise< void > {
			await withVideoRoom( async ( request ) => {
				await request( { request: 'destroy', room, secret } ).catch( ( error: unknown ) => {
					if ( ! ( error instanceof JanusError && error.code === JANUS_VIDEOROOM_ERRORS.noSuchRoom ) ) {
						throw error;
					}
				} );
			} );
		},

		/**
		 * The room's participants and its publisher cap (private rooms are listed with the admin
		 * key only; without one, `maxPublishers` is null).
		 */
		async describe( room: number ): Promise< { participants: JanusParticipant[]; maxPublishers: number | null } > {
			return withVideoRoom( async ( request ) => {
				const participants = ( ( await request( { request: 'listparticipants', room } ) ).participants ?? [] ) as JanusParticipant[];
				const list = ( ( await request( { request: 'list', ...( options.adminKey ? { admin_key: options.adminKey } : {} ) } ) ).list ?? [] ) as Array< { room: number; max_publishers?: number } >;
				const entry = list.find( ( r ) => r.room === room );
				return { participants, maxPublishers: entry?.max_publishers ?? null };
			} );
		},
	};
}

export type JanusClient = ReturnType< typeof createJanusClient >;
