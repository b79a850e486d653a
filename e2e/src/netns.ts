/**
 * Linux network namespaces for WebRTC end-to-end tests (ENVIRONMENT.md §3, §5): each Chromium runs
 * in its own namespace, wired to a `hub` namespace by a veth on bridge br0, so host candidates are
 * real 10.200.N.x addresses and a link can be cut. WordPress and the sidecar stay in the ROOT
 * namespace on 127.0.0.1; `forward()` makes the same http://127.0.0.1:<port> reachable inside a peer
 * namespace (so the page origin is the site URL and a secure context), through a unix socket, because
 * the file system is shared between namespaces.
 *
 * Network rule: the root namespace only ever talks to loopback and to unix sockets. It never
 * addresses a 10.200 address (that would leave the machine by its default route); only processes
 * inside the lab's namespaces do.
 *
 * Needs root (CAP_NET_ADMIN) and iproute2; `startTurn()` needs coturn. `netnsSupport()` says whether
 * this machine can run it, for a clean skip.
 */
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

import { CHROMIUM_ARGS } from './browser';

/** The in-namespace half of every port bridge (a raw byte pipe; see the file's header). */
const FORWARDER = fileURLToPath( new URL( './fixtures/netns-forwarder.mjs', import.meta.url ) );

/** One file per live lab (its prefix), holding the owner's pid and temp dir, so a later run can remove labs whose owner died. */
const MARKER_DIR = join( tmpdir(), 'bkx-netlab' );

/** Namespaces of every lab start with `bkx` + 4 hex digits + `-`: the only ones `sweepStaleNetLabs()` may touch. */
const PREFIX_PATTERN = /^bkx[0-9a-f]{4}$/;

/** Interface name of the veth inside every peer namespace. */
const PEER_IFACE = 'veth0';

/**
 * Flags for WebRTC in a peer namespace, on top of CHROMIUM_ARGS: fake camera and microphone with the
 * permission prompt auto-accepted, and autoplay without a gesture. Together the two fake flags also
 * answer getDisplayMedia() headless, without a gesture, with a fake 1280x720 "monitor" (label
 * `screen:-3:0`, plus an audio track when asked). `--auto-select-desktop-capture-source` is not
 * here: headless it changes nothing (without the fake flags getDisplayMedia() never settles, with
 * fake-ui alone it rejects with NotReadableError). No --allow-loopback-in-peer-connection: in a peer
 * namespace the host candidates must be the veth's 10.200 address.
 */
export const WEBRTC_ARGS = [ '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required' ];

export interface NetLabOptions {
	/** Peer names, one namespace each: lower-case letters and digits, at most 10 characters, not `hub`. */
	peers: string[];
	/** Namespace name prefix, `bkx` + 4 hex digits; default a random one. */
	prefix?: string;
}

export interface NetLabPeer {
	name: string;
	/** The network namespace's name (for `ip netns exec`). */
	ns: string;
	/** The peer's address on the lab's bridge, 10.200.N.2 and up. */
	ip: string;
	/** The veth's name inside the peer namespace. */
	iface: string;
}

export interface LaunchChromiumOptions {
	/** Extra Chromium flags after CHROMIUM_ARGS and WEBRTC_ARGS. */
	args?: string[];
	/** Passed to `chromium.launch()`; `executablePath` and `args` are the lab's. */
	launch?: Omit< LaunchOptions, 'executablePath' | 'args' >;
}

export interface TurnOptions {
	/** The shared secret of coturn's REST API authentication (`turnCredentials()` signs with it). */
	secret: string;
	realm: string;
	/** UDP/TCP listening port on the hub address; default 3478. */
	port?: number;
	/** Relay port range; default 49152–49252. */
	minPort?: number;
	maxPort?: number;
}

export interface TurnServer {
	/** `turn:<hub ip>:<port>?transport=udp`, for `RTCIceServer.urls`. */
	url: string;
	ip: string;
	port: number;
	realm: string;
	logFile: string;
	/** coturn's log so far (its log file and its own output). */
	logs(): string;
	stop(): Promise< void >;
}

export interface NetLab {
	/** The name prefix of every namespace of this lab. */
	prefix: string;
	/** `10.200.N.0/24`. */
	subnet: string;
	/** The hub namespace, holding br0 with `10.200.N.1`. */
	hub: { ns: string; ip: string };
	peers: Record< string, NetLabPeer >;
	/** The lab's temp dir: unix sockets, Chromium wrappers, coturn's files. */
	dir: string;
	/** Sets the peer's veth down inside its namespace (the cable is pulled). */
	linkDown( peer: string ): Promise< void >;
	/** Sets the peer's veth up again; its address and route come back with it. */
	linkUp( peer: string ): Promise< void >;
	/**
	 * Spawns `cmd args` inside `ns` ('hub', a peer name, or a namespace name of this lab). The lab
	 * kills it in `destroy()`. stdout and stderr are pipes unless `options.stdio` says otherwise:
	 * read them, or a chatty process blocks once the pipe is full.
	 */
	exec( ns: string, cmd: string, args?: string[], options?: SpawnOptions ): ChildProcess;
	/**
	 * Makes the root namespace's TCP 127.0.0.1:`port` reachable at 127.0.0.1:`port` inside the peer
	 * namespace (HTTP, WebSocket: any TCP). Resolves once the listener in the namespace accepts.
	 * Throws when it does not come up within 10 s (for example, the port is already forwarded).
	 */
	forward( peer: string, port: number ): Promise< void >;
	/**
	 * Makes TCP `10.200.N.1:hubPort` in the hub namespace reachable from the root namespace, and
	 * returns the root-side port on 127.0.0.1. Throws when the bridge does not come up within 10 s.
	 */
	forwardIntoHub( hubPort: number ): Promise< number >;
	/**
	 * Launches headless Chromium inside the peer namespace. Camera and microphone are fake and
	 * auto-accepted; to grant them explicitly, e.g. with more flags that show the prompt:
	 * `context.grantPermissions( [ 'camera', 'microphone' ], { origin: 'http://127.0.0.1:<port>' } )`.
	 */
	launchChromium( peer: string, options?: LaunchChromiumOptions ): Promise< Browser >;
	/**
	 * Runs coturn in the hub namespace on the hub address (REST-secret auth, UDP, no TLS) and
	 * resolves once it listens. Throws when coturn is missing or does not listen within 10 s.
	 */
	startTurn( options: TurnOptions ): Promise< TurnServer >;
	/** Closes browsers, kills every process, deletes every namespace and the temp dir. Idempotent. */
	destroy(): Promise< void >;
}

/**
 * Whether this machine can create network namespaces (root with CAP_NET_ADMIN and iproute2), with
 * the reason when it can't. Synchronous, so a test file can decide `describe.skip` at collection.
 */
export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
	if ( process.platform !== 'linux' ) {
		return { ok: false, reason: `network namespaces need Linux, this is ${ process.platform }` };
	}
	if ( process.getuid?.() !== 0 ) {
		return { ok: false, reason: 'network namespaces need root (CAP_NET_ADMIN); run the e2e tests as root' };
	}
	const probe = `bkxprobe${ randomBytes( 3 ).toString( 'hex' ) }`;
	try {
		execFileSync( 'ip', [ 'netns', 'add', probe ], { stdio: 'pipe', timeout: 10_000 } );
		execFileSync( 'ip', [ 'netns', 'del', probe ], { stdio: 'pipe', timeout: 10_000 } );
		return { ok: true };
	} catch ( error ) {
		const stderr = ( error as { stderr?: Buffer } ).stderr?.toString().trim();
		return { ok: false, reason: `\`ip netns add\` failed: ${ stderr || ( error as Error ).message }` };
	}
}

/**
 * TURN credentials for coturn's `--use-auth-secret` (the "TURN REST API"): the user name carries its
 * expiry, the password is base64( HMAC-SHA1( secret, username ) ). For tests only: a real
 * deployment signs them on the server.
 */
export function turnCredentials( secret: string, user: string, ttlSeconds = 3600 ): { username: string; credential: string } {
	const username = `${ Math.floor( Date.now() / 1000 ) + ttlSeconds }:${ user }`;
	return { username, credential: createHmac( 'sha1', secret ).update( username ).digest( 'base64' ) };
}

/** Names of all network namespaces (`ip netns list` prints `name (id: N)`). */
export function listNetns(): string[] {
	const out = execFileSync( 'ip', [ 'netns', 'list' ], { encoding: 'utf8', timeout: 10_000 } );
	return out
		.split( '\n' )
		.map( ( line ) => line.trim().split( /\s+/ )[ 0 ] ?? '' )
		.filter( Boolean );
}

/** Kills every process inside a namespace, then deletes it; best effort, synchronous (usable in an 'exit' handler). */
function deleteNetnsSync( ns: string ): void {
	try {
		const pids = execFileSync( 'ip', [ 'netns', 'pids', ns ], { encoding: 'utf8', stdio: [ 'ignore', 'pipe', 'ignore' ], timeout: 10_000 } );
		for ( const pid of pids.split( /\s+/ ).filter( Boolean ) ) {
			try {
				process.kill( Number( pid ), 'SIGKILL' );
			} catch {
				// already gone
			}
		}
	} catch {
		// no such namespace
	}
	try {
		execFileSync( 'ip', [ 'netns', 'del', ns ], { stdio: 'ignore', timeout: 10_000 } );
	} catch {
		// already deleted
	}
}

function isAlive( pid: number ): boolean {
	try {
		process.kill( pid, 0 );
		return true;
	} catch ( error ) {
		return ( error as NodeJS.ErrnoException ).code === 'EPERM';
	}
}

/**
 * Removes the namespaces and temp dirs of labs whose owning process is gone (a run killed with
 * SIGKILL never runs its 'exit' cleanup). Labs of live processes, and namespaces that no lab
 * marker names, are left alone. `createNetLab()` calls it.
 */
export function sweepStaleNetLabs(): string[] {
	if ( ! existsSync( MARKER_DIR ) ) {
		return [];
	}
	const removed: string[] = [];
	let names: string[] | null = null;
	for ( const prefix of readdirSync( MARKER_DIR ) ) {
		if ( ! PREFIX_PATTERN.test( prefix ) ) {
			continue;
		}
		const marker = join( MARKER_DIR, prefix );
		const [ pid, dir ] = readFileSync( marker, 'utf8' ).split( '\n' );
		// An empty pid (a marker being written right now) reads as 0, which isAlive() counts as alive.
		if ( isAlive( Number( pid ) ) ) {
			continue;
		}
		names ??= listNetns();
		for ( const ns of names.filter( ( n ) => n.startsWith( `${ prefix }-` ) ) ) {
			deleteNetnsSync( ns );
			removed.push( ns );
		}
		if ( dir && dir.startsWith( tmpdir() ) ) {
			rmSync( dir, { recursive: true, force: true } );
		}
		rmSync( marker, { force: true } );
	}
	return removed;
}

/** Runs `ip …`; rejects with ip's stderr. */
function ip( args: string[] ): Promise< void > {
	return new Promise( ( resolve, reject ) => {
		execFile( 'ip', args, { timeout: 10_000 }, ( error, _stdout, stderr ) => {
			if ( error ) {
				reject( new Error( `\`ip ${ args.join( ' ' ) }\` failed: ${ stderr.trim() || error.message }` ) );
			} else {
				resolve();
			}
		} );
	} );
}

/** Pipes two sockets into each other; an error on either side tears down both. */
function splice( left: Socket, right: Socket ): void {
	left.pipe( right );
	right.pipe( left );
	left.on( 'error', () => right.destroy() );
	right.on( 'error', () => left.destroy() );
	left.on( 'close', ( hadError ) => hadError && right.destroy() );
	right.on( 'close', ( hadError ) => hadError && left.destroy() );
}

function listen( server: Server, ...args: [ string ] | [ number, string ] ): Promise< void > {
	return new Promise( ( resolve, reject ) => {
		server.once( 'error', reject );
		server.listen( ...( args as [ number, string ] ), () => {
			server.off( 'error', reject );
			resolve();
		} );
	} );
}

/** Resolves when the child prints `line`; rejects with its output when it exits first or after `timeoutMs`. */
function waitForLine( child: ChildProcess, line: string, what: string, timeoutMs = 10_000 ): Promise< void > {
	return new Promise( ( resolve, reject ) => {
		let output = '';
		const done = ( error?: Error ) => {
			clearTimeout( timer );
			child.stdout?.off( 'data', onData );
			child.stderr?.off( 'data', onData );
			child.off( 'exit', onExit );
			if ( error ) {
				reject( error );
			} else {
				resolve();
			}
		};
		const onData = ( d: Buffer ) => {
			output += d.toString();
			if ( output.split( '\n' ).includes( line ) ) {
				done();
			}
		};
		const onExit = ( code: number | null ) => done( new Error( `${ what } exited (code ${ code }) before it was ready:\n${ output }` ) );
		const timer = setTimeout( () => done( new Error( `${ what } did not come up within ${ timeoutMs / 1000 } s:\n${ output }` ) ), timeoutMs );
		child.stdout?.on( 'data', onData );
		child.stderr?.on( 'data', onData );
		child.once( 'exit', onExit );
	} );
}

function onPath( cmd: string ): boolean {
	return ( process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' ).split( delimiter ).some( ( d ) => existsSync( join( d, cmd ) ) );
}

const sleep = ( ms: number ) => new Promise( ( r ) => setTimeout( r, ms ) );

/**
 * Creates a lab: a hub namespace with bridge br0 (10.200.N.1/24, N random) and one namespace per
 * peer with `lo` up and a veth on the bridge (10.200.N.2, .3, …). Nothing is created in the root
 * namespace. Call `destroy()` when done; a process exit also cleans up, and the next
 * `createNetLab()` removes labs of processes that were killed. Throws (after removing what it made)
 * when a namespace or link cannot be created.
 */
export async function createNetLab( options: NetLabOptions ): Promise< NetLab > {
	const seen = new Set< string >();
	for ( const name of options.peers ) {
		if ( ! /^[a-z0-9]{1,10}$/.test( name ) || name === 'hub' || seen.has( name ) ) {
			throw new Error( `Invalid or duplicate peer name "${ name }": use unique lower-case letters and digits (at most 10), not "hub"` );
		}
		seen.add( name );
	}
	if ( options.peers.length === 0 || options.peers.length > 200 ) {
		throw new Error( `A lab needs 1 to 200 peers, got ${ options.peers.length }` );
	}
	const prefix = options.prefix ?? `bkx${ randomBytes( 2 ).toString( 'hex' ) }`;
	if ( ! PREFIX_PATTERN.test( prefix ) ) {
		throw new Error( `Invalid lab prefix "${ prefix }": use "bkx" and 4 hex digits` );
	}
	try {
		sweepStaleNetLabs();
	} catch {
		// best effort: a stale lab only costs a few kernel objects
	}
	if ( listNetns().some( ( n ) => n.startsWith( `${ prefix }-` ) ) ) {
		throw new Error( `Namespaces with the prefix ${ prefix }- exist already; pick another prefix` );
	}

	// Labs live in separate namespaces, so their subnets can never clash; a random one just keeps logs apart.
	const net = `10.200.${ randomInt( 1, 251 ) }`;
	const dir = mkdtempSync( join( tmpdir(), `${ prefix }-` ) );
	mkdirSync( MARKER_DIR, { recursive: true } );
	const marker = join( MARKER_DIR, prefix );
	writeFileSync( marker, `${ process.pid }\n${ dir }\n` );

	const hub = { ns: `${ prefix }-hub`, ip: `${ net }.1` };
	const peers: Record< string, NetLabPeer > = {};
	options.peers.forEach( ( name, i ) => {
		peers[ name ] = { name, ns: `${ prefix }-${ name }`, ip: `${ net }.${ i + 2 }`, iface: PEER_IFACE };
	} );
	const namespaces = [ hub.ns, ...Object.values( peers ).map( ( p ) => p.ns ) ];
	const children = new Set< ChildProcess >();
	const servers = new Set< Server >();
	// Bridged connections, destroyed in destroy(): server.close() alone would wait for every one of them.
	const sockets = new Set< Socket >();
	const bridge = ( socket: Socket, target: () => Socket ) => {
		const other = target();
		for ( const s of [ socket, other ] ) {
			sockets.add( s );
			s.once( 'close', () => sockets.delete( s ) );
		}
		splice( socket, other );
	};
	const browsers = new Set< Browser >();
	let destroyed = false;

	const cleanupSync = () => {
		if ( destroyed ) {
			return;
		}
		destroyed = true;
		for ( const child of children ) {
			child.kill( 'SIGKILL' );
		}
		for ( const ns of namespaces ) {
			deleteNetnsSync( ns );
		}
		rmSync( dir, { recursive: true, force: true } );
		rmSync( marker, { force: true } );
	};
	process.once( 'exit', cleanupSync );

	const peer = ( name: string ): NetLabPeer => {
		const p = peers[ name ];
		if ( ! p ) {
			throw new Error( `No peer "${ name }" in this lab (peers: ${ Object.keys( peers ).join( ', ' ) })` );
		}
		return p;
	};
	const nsName = ( ns: string ): string => {
		if ( ns === 'hub' ) {
			return hub.ns;
		}
		if ( namespaces.includes( ns ) ) {
			return ns;
		}
		return peer( ns ).ns;
	};

	const lab: NetLab = {
		prefix,
		subnet: `${ net }.0/24`,
		hub,
		peers,
		dir,
		linkDown: ( name ) => ip( [ '-n', peer( name ).ns, 'link', 'set', PEER_IFACE, 'down' ] ),
		linkUp: ( name ) => ip( [ '-n', peer( name ).ns, 'link', 'set', PEER_IFACE, 'up' ] ),
		exec( ns, cmd, args = [], spawnOptions = {} ) {
			if ( destroyed ) {
				throw new Error( 'This lab was destroyed' );
			}
			const child = spawn( 'ip', [ 'netns', 'exec', nsName( ns ), cmd, ...args ], { stdio: [ 'ignore', 'pipe', 'pipe' ], ...spawnOptions } );
			children.add( child );
			child.once( 'exit', () => children.delete( child ) );
			// A spawn failure (no `ip`) must not become an unhandled 'error' event.
			child.on( 'error', () => children.delete( child ) );
			return child;
		},
		async forward( name, port ) {
			const p = peer( name );
			const sock = join( dir, `fwd-${ name }-${ port }.sock` );
			const server = createServer( ( socket ) => bridge( socket, () => connect( port, '127.0.0.1' ) ) );
			servers.add( server );
			await listen( server, sock ).catch( ( error: Error ) => {
				throw new Error( `Cannot forward 127.0.0.1:${ port } into ${ p.ns } (forwarded already?): ${ error.message }` );
			} );
			// stdin stays open: the forwarder exits when it closes, i.e. when this process dies.
			const child = lab.exec( p.ns, process.execPath, [ FORWARDER, 'tcp-to-unix', '127.0.0.1', String( port ), sock ], { stdio: [ 'pipe', 'pipe', 'pipe' ] } );
			await waitForLine( child, 'READY', `The forward of 127.0.0.1:${ port } into ${ p.ns }` );
		},
		async forwardIntoHub( hubPort ) {
			const sock = join( dir, `hub-${ hubPort }.sock` );
			const child = lab.exec( hub.ns, process.execPath, [ FORWARDER, 'unix-to-tcp', sock, hub.ip, String( hubPort ) ], { stdio: [ 'pipe', 'pipe', 'pipe' ] } );
			await waitForLine( child, 'READY', `The forward into ${ hub.ns } ${ hub.ip }:${ hubPort }` );
			const server = createServer( ( socket ) => bridge( socket, () => connect( sock ) ) );
			servers.add( server );
			await listen( server, 0, '127.0.0.1' );
			const address = server.address();
			return typeof address === 'object' && address ? address.port : 0;
		},
		async launchChromium( name, launchOptions = {} ) {
			const p = peer( name );
			const wrapper = join( dir, `chromium-${ name }.sh` );
			const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
			writeFileSync( wrapper, `#!/bin/sh\nexec ip netns exec ${ p.ns } '${ chromiumPath }' "$@"\n` );
			chmodSync( wrapper, 0o755 );
			const browser = await chromium.launch( {
				headless: true,
				timeout: 30_000,
				...launchOptions.launch,
				executablePath: wrapper,
				args: [ ...CHROMIUM_ARGS, ...WEBRTC_ARGS, ...( launchOptions.args ?? [] ) ],
			} );
			browsers.add( browser );
			browser.once( 'disconnected', () => browsers.delete( browser ) );
			return browser;
		},
		async startTurn( turn ) {
			if ( ! onPath( 'turnserver' ) ) {
				throw new Error( 'coturn is not installed: apt-get install -y --no-install-recommends coturn' );
			}
			const port = turn.port ?? 3478;
			const logFile = join( dir, 'turn.log' );
			let output = '';
			const child = lab.exec( hub.ns, 'turnserver', [
				'-n', // no config file
				`--listening-ip=${ hub.ip }`,
				`--relay-ip=${ hub.ip }`,
				`--listening-port=${ port }`,
				`--min-port=${ turn.minPort ?? 49152 }`,
				`--max-port=${ turn.maxPort ?? 49252 }`,
				'--use-auth-secret',
				`--static-auth-secret=${ turn.secret }`,
				`--realm=${ turn.realm }`,
				'--no-tls',
				'--no-dtls',
				'--no-cli',
				'--fingerprint',
				`--log-file=${ logFile }`,
				'--simple-log', // exactly that file name, no date suffix or rollover
				'--no-stdout-log', // logs() already reads the file
				`--pidfile=${ join( dir, 'turn.pid' ) }`,
				`--userdb=${ join( dir, 'turndb' ) }`,
			] );
			child.stdout?.on( 'data', ( d: Buffer ) => ( output += d.toString() ) );
			child.stderr?.on( 'data', ( d: Buffer ) => ( output += d.toString() ) );
			let exited = false;
			child.once( 'exit', () => ( exited = true ) );
			const logs = () => ( existsSync( logFile ) ? readFileSync( logFile, 'utf8' ) : '' ) + output;
			const deadline = Date.now() + 10_000;
			for ( ;; ) {
				if ( exited ) {
					throw new Error( `coturn exited during start-up in ${ hub.ns }:\n${ logs() }` );
				}
				const sockets = execFileSync( 'ip', [ 'netns', 'exec', hub.ns, 'ss', '-Hlun', `sport = :${ port }` ], { encoding: 'utf8', timeout: 10_000 } );
				if ( sockets.includes( `${ hub.ip }:${ port }` ) ) {
					break;
				}
				if ( Date.now() > deadline ) {
					child.kill( 'SIGKILL' );
					throw new Error( `coturn did not listen on ${ hub.ip }:${ port } in ${ hub.ns } within 10 s:\n${ logs() }` );
				}
				await sleep( 100 );
			}
			return {
				url: `turn:${ hub.ip }:${ port }?transport=udp`,
				ip: hub.ip,
				port,
				realm: turn.realm,
				logFile,
				logs,
				async stop() {
					if ( exited ) {
						return;
					}
					const gone = new Promise( ( r ) => child.once( 'exit', r ) );
					child.kill( 'SIGTERM' );
					const timer = setTimeout( () => child.kill( 'SIGKILL' ), 3000 );
					await gone;
					clearTimeout( timer );
				},
			};
		},
		async destroy() {
			if ( destroyed ) {
				return;
			}
			// Browsers first: Playwright closes them cleanly (and its own exit hook would otherwise race ours).
			await Promise.all(
				[ ...browsers ].map( ( browser ) =>
					Promise.race( [ browser.close().catch( () => undefined ), sleep( 10_000 ) ] )
				)
			);
			for ( const server of servers ) {
				server.close();
			}
			for ( const socket of sockets ) {
				socket.destroy();
			}
			const running = [ ...children ].filter( ( c ) => c.exitCode === null && c.signalCode === null );
			await Promise.all(
				running.map( ( child ) => {
					const gone = new Promise( ( r ) => child.once( 'exit', r ) );
					child.kill( 'SIGTERM' );
					const timer = setTimeout( () => child.kill( 'SIGKILL' ), 3000 );
					return gone.then( () => clearTimeout( timer ) );
				} )
			);
			// Whatever is still inside a namespace (a Chromium helper, a grandchild) is killed by deleteNetnsSync.
			cleanupSync();
			process.removeListener( 'exit', cleanupSync );
		},
	};

	try {
		await ip( [ 'netns', 'add', hub.ns ] );
		await ip( [ '-n', hub.ns, 'link', 'set', 'lo', 'up' ] );
		await ip( [ '-n', hub.ns, 'link', 'add', 'br0', 'type', 'bridge' ] );
		await ip( [ '-n', hub.ns, 'addr', 'add', `${ hub.ip }/24`, 'dev', 'br0' ] );
		await ip( [ '-n', hub.ns, 'link', 'set', 'br0', 'up' ] );
		let i = 0;
		for ( const p of Object.values( peers ) ) {
			const hubEnd = `vp${ ++i }`;
			await ip( [ 'netns', 'add', p.ns ] );
			await ip( [ '-n', p.ns, 'link', 'set', 'lo', 'up' ] );
			// Both ends are created directly in their namespaces: no name can clash in the root namespace.
			await ip( [ 'link', 'add', PEER_IFACE, 'netns', p.ns, 'type', 'veth', 'peer', 'name', hubEnd, 'netns', hub.ns ] );
			await ip( [ '-n', p.ns, 'addr', 'add', `${ p.ip }/24`, 'dev', PEER_IFACE ] );
			await ip( [ '-n', p.ns, 'link', 'set', PEER_IFACE, 'up' ] );
			await ip( [ '-n', hub.ns, 'link', 'set', hubEnd, 'master', 'br0' ] );
			await ip( [ '-n', hub.ns, 'link', 'set', hubEnd, 'up' ] );
		}
	} catch ( error ) {
		await lab.destroy();
		throw error;
	}
	return lab;
}
