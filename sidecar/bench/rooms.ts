/**
 * `pnpm bench` (issue 6): the built-in room's signaling on this 2-core machine.
 *
 * The real sidecar (bench/server.ts, a child process) on a fresh database holds BENCH_ROOMS rooms
 * (default 100) of two peers. Measured in one run, next to a bare `ws` echo server (bench/ws-echo.ts,
 * also a child process) driven by the same client code:
 *  - joins: peers connecting and joining (token check, consultation read, hub, session event), per
 *    second, all rooms at once;
 *  - relay: each pair passes messages shaped like negotiation traffic (an SDP-sized description,
 *    then ICE candidates) back and forth for BENCH_DURATION seconds (default 5), each side at
 *    BENCH_RATE messages/s (default 30, under the per-connection limit) with at most
 *    BENCH_INFLIGHT (default 4) unanswered: delivered messages/s of the offered load, losses and
 *    round-trip p50/p99, against the echo server's;
 *  - idle rooms: the sidecar's CPU per active room while every peer sends what a room client sends
 *    when nothing happens (a quality sample change every 2 s, a ping every 20 s), over 10 s.
 * Every loop is bounded in count and time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

import WebSocket from 'ws';

import { buildApp } from '../src/app';
import { migrateLatest } from '../src/db/migrate';
import { toSqlDateTime } from '../src/db/time';
import { createRoomTokenSigner } from '../src/rooms/room-tickets';
import { ADMIN, PREFIX, SECRET, call, createTestDatabase, createWordPressTables, testConfig } from '../test/helper';

const ROOMS = Math.min( 500, Number( process.env.BENCH_ROOMS ?? 200 ) );
const DURATION = Math.min( 30, Number( process.env.BENCH_DURATION ?? 5 ) );
const INFLIGHT = Math.min( 32, Number( process.env.BENCH_INFLIGHT ?? 4 ) );
/** Messages per second each side of a pair sends (the sidecar allows 40 per connection). */
const RATE = Math.min( 35, Number( process.env.BENCH_RATE ?? 30 ) );
const SITE = 'http://127.0.0.1:9';
const SDP = `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n${ 'a=candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host generation 0\r\n'.repeat( 40 ) }`;

const percentile = ( xs: number[], p: number ) => {
	const sorted = [ ...xs ].sort( ( a, b ) => a - b );
	return sorted[ Math.min( sorted.length - 1, Math.floor( ( p / 100 ) * sorted.length ) ) ] ?? NaN;
};

/** CPU time (user + system, ms) of a process so far, from /proc. */
function cpuMs( pid: number ): number {
	const fields = readFileSync( `/proc/${ pid }/stat`, 'utf8' ).split( ') ' )[ 1 ]!.split( ' ' );
	const ticks = Number( fields[ 11 ] ) + Number( fields[ 12 ] );
	return ( ticks * 1000 ) / 100;
}

async function child( script: string, env: Record< string, string > ): Promise< { proc: ChildProcess; port: number } > {
	const proc = spawn( process.execPath, [ '--import', 'tsx', script ], { env: { ...process.env, ...env }, stdio: [ 'ignore', 'pipe', 'inherit' ] } );
	const [ line ] = ( await once( createInterface( { input: proc.stdout! } ), 'line' ) ) as [ string ];
	return { proc, port: ( JSON.parse( line ) as { port: number } ).port };
}

interface Peer {
	ws: WebSocket;
	id: string;
	inbox: ( m: Record< string, unknown > ) => void;
}

function open( url: string ): Promise< WebSocket > {
	return new Promise( ( resolve, reject ) => {
		const ws = new WebSocket( url, { origin: SITE, perMessageDeflate: false } );
		ws.once( 'open', () => resolve( ws ) );
		ws.once( 'error', reject );
	} );
}

/** Connects and joins both peers of every room; resolves with the pairs and the join rate. */
async function joinAll( base: string, tokens: Array< [ string, string, string ] > ) {
	const t0 = performance.now();
	const pairs = await Promise.all(
		tokens.map( async ( [ room, a, b ] ) => {
			const peers = await Promise.all(
				[ a, b ].map( async ( token ) => {
					const ws = await open( `${ base }/rooms/${ room }/signal?token=${ token }` );
					const peer: Peer = { ws, id: '', inbox: () => undefined };
					const welcome = new Promise< void >( ( resolve ) => {
						ws.on( 'message', ( data ) => {
							const m = JSON.parse( data.toString() ) as Record< string, unknown >;
							if ( m.type === 'welcome' ) {
								peer.id = ( m.self as { id: string } ).id;
								resolve();
							}
							peer.inbox( m );
						} );
					} );
					ws.send( JSON.stringify( { type: 'join' } ) );
					await welcome;
					return peer;
				} )
			);
			return peers as [ Peer, Peer ];
		} )
	);
	return { pairs, joinsPerSecond: ( tokens.length * 2 ) / ( ( performance.now() - t0 ) / 1000 ) };
}

/**
 * Ping-pong between the two sides of every pair for DURATION seconds: side 0 sends at most
 * RATE messages a second (under the sidecar's per-connection limit of 40/s, as a real client
 * stays), at most INFLIGHT unanswered; side 1 answers each. An answer missing after 2 s counts
 * as lost. Every pair stops by itself at the deadline.
 */
async function relay( pairs: Array< { send: ( seq: number, at: number ) => void; bind: ( onReply: ( at: number ) => void ) => void } > ) {
	const rtts: number[] = [];
	let done = 0;
	let lost = 0;
	const until = performance.now() + DURATION * 1000;
	const gap = 1000 / RATE;
	await Promise.all(
		pairs.map(
			( pair ) =>
				new Promise< void >( ( resolve ) => {
					let seq = 0;
					const pending = new Map< number, number >();
					let lastSend = 0;
					let timer: NodeJS.Timeout | undefined;
					const pump = () => {
						clearTimeout( timer );
						const now = performance.now();
						for ( const [ at, sentAt ] of pending ) {
							if ( now - sentAt > 2000 ) {
								pending.delete( at );
								lost++;
							}
						}
						if ( now >= until ) {
							if ( pending.size === 0 ) {
								resolve();
							} else {
								timer = setTimeout( pump, 100 );
							}
							return;
						}
						if ( pending.size < INFLIGHT && now - lastSend >= gap ) {
							lastSend = now;
							pending.set( now, now );
							pair.send( seq++, now );
						}
						timer = setTimeout( pump, Math.max( 1, gap - ( performance.now() - lastSend ) ) );
					};
					pair.bind( ( at ) => {
						if ( pending.delete( at ) ) {
							done++;
							rtts.push( performance.now() - at );
						}
					} );
					pump();
				} )
		)
	);
	return { messagesPerSecond: ( done * 2 ) / DURATION, offered: pairs.length * RATE * 2, lost, p50: percentile( rtts, 50 ), p99: percentile( rtts, 99 ) };
}

async function main(): Promise< void > {
	const db = await createTestDatabase();
	const children: ChildProcess[] = [];
	try {
		await createWordPressTables( db.knex );
		const config = testConfig( db.name );
		const setupApp = await buildApp( { config, knex: db.knex, logger: false } );
		await migrateLatest( db.knex, setupApp.tables );
		const res = await call( setupApp, ADMIN, 'PUT', '/v1/settings', { webrtc_enabled: true, default_platform: 'webrtc', zoom_enabled: false, waiting_room_enabled: false, password_required: false, webrtc_stun_servers: [] } );
		await setupApp.close();
		if ( res.status !== 200 ) {
			throw new Error( `settings were refused: ${ JSON.stringify( res.json ) }` );
		}
		const start = new Date( Date.now() + 300_000 );
		const now = toSqlDateTime( new Date() );
		const rooms = Array.from( { length: ROOMS }, ( _, i ) => `r_bench${ String( i ).padStart( 15, '0' ) }` );
		await db.knex( `${ PREFIX }bkx_video_consultations` ).insert(
			rooms.map( ( room, i ) => ( {
				booking_id: 5000 + i,
				platform: 'webrtc',
				meeting_id: room,
				join_url: `${ SITE }/?bkx_video_room=${ room }`,
				duration_minutes: 30,
				scheduled_start: toSqlDateTime( start ),
				scheduled_end: toSqlDateTime( new Date( start.getTime() + 1800_000 ) ),
				status: 'scheduled',
				host_id: 1,
				created_at: now,
				updated_at: now,
			} ) )
		);
		const ids = ( await db.knex( `${ PREFIX }bkx_video_consultations` ).select( 'id', 'meeting_id' ) ) as Array< { id: number; meeting_id: string } >;
		const sign = createRoomTokenSigner( SECRET );
		const iat = Math.floor( Date.now() / 1000 );
		const token = ( room: string, cid: number, who: number ) =>
			sign( { typ: 'room', room, cid, pk: `wp-${ who }`, role: 'host', name: `Peer ${ who }`, uid: who, email: null, iat, exp: iat + 600 } );
		const tokens = ids.map( ( r, i ) => [ r.meeting_id, token( r.meeting_id, Number( r.id ), 2 * i + 10 ), token( r.meeting_id, Number( r.id ), 2 * i + 11 ) ] as [ string, string, string ] );

		const sidecar = await child( 'bench/server.ts', {
			BKX_VIDEO_SIDECAR_SECRET: SECRET,
			BKX_VIDEO_ENCRYPTION_KEY: config.encryptionKey.toString( 'hex' ),
			BKX_VIDEO_SITE_URL: SITE,
			BKX_VIDEO_DB_NAME: db.name,
			BKX_VIDEO_LOG_LEVEL: 'silent',
			BKX_VIDEO_CACHE_TTL_SECONDS: '5',
		} );
		children.push( sidecar.proc );
		const echo = await child( 'bench/ws-echo.ts', {} );
		children.push( echo.proc );

		// Joins.
		const cpu0 = cpuMs( sidecar.proc.pid! );
		const joined = await joinAll( `ws://127.0.0.1:${ sidecar.port }`, tokens );
		const joinCpu = cpuMs( sidecar.proc.pid! ) - cpu0;

		// Relay through the sidecar: side 0 sends a description, side 1 answers with a candidate.
		const ours = await relay(
			joined.pairs.map( ( [ a, b ] ) => ( {
				send: ( seq, at ) => a.ws.send( JSON.stringify( { type: 'signal', to: b.id, description: { type: 'offer', sdp: `${ SDP }a=x-seq:${ seq }:${ at }\r\n` } } ) ),
				bind: ( onReply ) => {
					b.inbox = ( m ) => {
						if ( m.type === 'signal' && m.description ) {
							const at = /a=x-seq:\d+:([\d.]+)/.exec( ( m.description as { sdp: string } ).sdp )?.[ 1 ];
							b.ws.send( JSON.stringify( { type: 'signal', to: a.id, candidate: { candidate: `candidate:1 1 udp 1 10.0.0.2 5000 typ host ${ at }`, sdpMid: '0', sdpMLineIndex: 0 } } ) );
						}
					};
					a.inbox = ( m ) => {
						if ( m.type === 'signal' && m.candidate ) {
							onReply( Number( ( m.candidate as { candidate: string } ).candidate.split( ' ' ).at( -1 ) ) );
						}
					};
				},
			} ) )
		);

		// The same traffic against the bare echo server: each side's socket echoes its own message.
		const echoPairs = await Promise.all( joined.pairs.map( async () => [ await open( `ws://127.0.0.1:${ echo.port }` ), await open( `ws://127.0.0.1:${ echo.port }` ) ] as const ) );
		const bare = await relay(
			echoPairs.map( ( [ a, b ] ) => ( {
				send: ( seq, at ) => a.send( JSON.stringify( { type: 'signal', to: 'p_echo', description: { type: 'offer', sdp: `${ SDP }a=x-seq:${ seq }:${ at }\r\n` } } ) ),
				bind: ( onReply ) => {
					// Side 0's message comes back to it; side 1 then sends the answer-sized message, which comes back to side 1.
					a.on( 'message', ( data ) => {
						const m = JSON.parse( data.toString() ) as { description?: { sdp: string } };
						const at = /a=x-seq:\d+:([\d.]+)/.exec( m.description?.sdp ?? '' )?.[ 1 ];
						b.send( JSON.stringify( { type: 'signal', to: 'p_echo', candidate: { candidate: `candidate:1 1 udp 1 10.0.0.2 5000 typ host ${ at }`, sdpMid: '0', sdpMLineIndex: 0 } } ) );
					} );
					b.on( 'message', ( data ) => {
						const m = JSON.parse( data.toString() ) as { candidate: { candidate: string } };
						onReply( Number( m.candidate.candidate.split( ' ' ).at( -1 ) ) );
					} );
				},
			} ) )
		);
		echoPairs.forEach( ( [ a, b ] ) => {
			a.close();
			b.close();
		} );

		// Idle rooms: what every room client sends when nothing happens, for 10 s.
		const idleSeconds = 10;
		const idle0 = cpuMs( sidecar.proc.pid! );
		const idleStart = performance.now();
		for ( let tick = 0; tick < idleSeconds / 2; tick++ ) {
			joined.pairs.forEach( ( pair, i ) => {
				pair.forEach( ( peer, side ) => {
					peer.ws.send( JSON.stringify( { type: 'quality', level: ( tick + i + side ) % 2 ? 'good' : 'fair' } ) );
					if ( tick % 10 === 0 ) {
						peer.ws.send( JSON.stringify( { type: 'ping' } ) );
					}
				} );
			} );
			await new Promise( ( r ) => setTimeout( r, 2000 ) );
		}
		const idleCpu = cpuMs( sidecar.proc.pid! ) - idle0;
		const idleWall = ( performance.now() - idleStart ) / 1000;
		joined.pairs.forEach( ( pair ) => pair.forEach( ( p ) => p.ws.close() ) );

		const f = ( n: number ) => Math.round( n ).toLocaleString( 'en-US' );
		console.log( `\n== Built-in room signaling (${ ROOMS } rooms × 2 peers, ${ DURATION } s relay at ${ RATE } messages/s per side, ${ INFLIGHT } in flight per pair)` );
		console.log( `joins: ${ f( joined.joinsPerSecond ) } peers/s (connect + token + consultation read + hub + session event); sidecar CPU ${ ( joinCpu / ( ROOMS * 2 ) ).toFixed( 2 ) } ms per join` );
		console.log( `relay through the sidecar: ${ f( ours.messagesPerSecond ) } of ${ f( ours.offered ) } messages/s offered, ${ ours.lost } lost, round trip p50 ${ ours.p50.toFixed( 1 ) } ms, p99 ${ ours.p99.toFixed( 1 ) } ms` );
		console.log( `bare ws echo, same traffic: ${ f( bare.messagesPerSecond ) } of ${ f( bare.offered ) } messages/s offered, ${ bare.lost } lost, round trip p50 ${ bare.p50.toFixed( 1 ) } ms, p99 ${ bare.p99.toFixed( 1 ) } ms` );
		console.log( `ratio (sidecar ÷ bare ws): ${ ( ours.messagesPerSecond / bare.messagesPerSecond ).toFixed( 2 ) }` );
		console.log( `idle rooms: sidecar CPU ${ ( ( idleCpu / idleWall / ROOMS ) ).toFixed( 3 ) } ms per room per second (${ ROOMS } rooms, ${ ( ( idleCpu / idleWall / 1000 ) * 100 ).toFixed( 1 ) } % of one core)` );
	} finally {
		for ( const c of children ) {
			c.kill( 'SIGTERM' );
		}
		await db.drop();
	}
}

main().then(
	() => process.exit( 0 ),
	( error: unknown ) => {
		console.error( error );
		process.exit( 1 );
	}
);
