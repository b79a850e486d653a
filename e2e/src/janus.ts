/**
 * A real Janus 1.1 (Debian `janus`, ENVIRONMENT.md §6) for tests: a config directory of our own
 * (only the VideoRoom plugin and the plain HTTP transport; no demo rooms), then `janus` started by
 * the caller's spawn (the lab's `exec` in the hub namespace, or a plain spawn on 127.0.0.1), and a
 * wait until its HTTP API answers `info`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LIB = '/usr/lib/x86_64-linux-gnu/janus';

export interface JanusConfigOptions {
	/** Address Janus puts in its candidates (`-i`), and where its HTTP API listens. */
	ip: string;
	httpPort?: number;
	/** Janus core `api_secret` (the sidecar's requests carry it). */
	apiSecret?: string;
	/** Janus core `token_auth_secret`: signed tokens for browsers (token_auth = true). */
	tokenSecret?: string;
	/** VideoRoom `admin_key` (rooms can be created through the API only with it). */
	adminKey?: string;
	/** RTP/RTCP ports; default 20000-20200. */
	rtpPorts?: string;
}

const quote = ( v: string ) => JSON.stringify( v );

/** Writes janus.jcfg, janus.plugin.videoroom.jcfg and janus.transport.http.jcfg into `dir`. */
export function writeJanusConfig( dir: string, o: JanusConfigOptions ): string {
	mkdirSync( dir, { recursive: true } );
	const general = [
		`configs_folder = ${ quote( dir ) }`,
		`plugins_folder = ${ quote( `${ LIB }/plugins` ) }`,
		`transports_folder = ${ quote( `${ LIB }/transports` ) }`,
		`events_folder = ${ quote( `${ LIB }/events` ) }`,
		`loggers_folder = ${ quote( `${ LIB }/loggers` ) }`,
		'debug_level = 4',
		'admin_secret = "unused-admin-secret"',
		...( o.apiSecret ? [ `api_secret = ${ quote( o.apiSecret ) }` ] : [] ),
		...( o.tokenSecret ? [ 'token_auth = true', `token_auth_secret = ${ quote( o.tokenSecret ) }` ] : [] ),
	];
	writeFileSync(
		join( dir, 'janus.jcfg' ),
		[
			`general: {\n\t${ general.join( '\n\t' ) }\n}`,
			`media: {\n\trtp_port_range = ${ quote( o.rtpPorts ?? '20000-20200' ) }\n}`,
			'nat: {\n\tnice_debug = false\n\tignore_mdns = true\n}',
			// Everything but the VideoRoom and plain HTTP (a disabled module is not even loaded).
			'plugins: {\n\tdisable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"\n}',
			'transports: {\n\tdisable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so,libjanus_websockets.so"\n}',
			'loggers: {\n\tdisable = "libjanus_jsonlog.so"\n}',
			'events: {\n\tbroadcast = false\n}',
			'',
		].join( '\n' )
	);
	writeFileSync( join( dir, 'janus.plugin.videoroom.jcfg' ), `general: {\n${ o.adminKey ? `\tadmin_key = ${ quote( o.adminKey ) }\n` : '' }}\n` );
	writeFileSync(
		join( dir, 'janus.transport.http.jcfg' ),
		`general: {\n\tjson = "plain"\n\tbase_path = "/janus"\n\thttp = true\n\tport = ${ o.httpPort ?? 8088 }\n\tip = ${ quote( o.ip ) }\n\thttps = false\n}\nadmin: {\n\tadmin_http = false\n}\ncors: {\n}\n`
	);
	return dir;
}

/** `janus` arguments for a config dir written by {@link writeJanusConfig}. */
export function janusArgs( dir: string, o: JanusConfigOptions ): string[] {
	return [ '-F', dir, '-C', join( dir, 'janus.jcfg' ), '-o', '-i', o.ip, '-r', o.rtpPorts ?? '20000-20200' ];
}

export interface RunningJanus {
	/** `http://<ip>:<port>/janus` (reachable where Janus runs). */
	url: string;
	child: ChildProcess;
	logs(): string;
	stop(): Promise< void >;
}

/**
 * Starts Janus with `spawnJanus( 'janus', args )` and resolves once `GET …/janus/info` answers
 * (polled with `probe`, which must run where Janus is reachable). Throws with Janus's output when
 * it exits or does not answer within 15 s.
 */
export async function startJanus(
	dir: string,
	o: JanusConfigOptions,
	spawnJanus: ( cmd: string, args: string[] ) => ChildProcess = ( cmd, args ) => spawn( cmd, args, { stdio: [ 'ignore', 'pipe', 'pipe' ] } ),
	probe: ( url: string ) => Promise< boolean > = async ( url ) => ( await fetch( url ).catch( () => null ) )?.ok ?? false
): Promise< RunningJanus > {
	writeJanusConfig( dir, o );
	const child = spawnJanus( 'janus', janusArgs( dir, o ) );
	let output = '';
	child.stdout?.on( 'data', ( d: Buffer ) => ( output = ( output + d.toString() ).slice( -200_000 ) ) );
	child.stderr?.on( 'data', ( d: Buffer ) => ( output = ( output + d.toString() ).slice( -200_000 ) ) );
	let exited = false;
	child.once( 'exit', () => ( exited = true ) );
	const url = `http://${ o.ip }:${ o.httpPort ?? 8088 }/janus`;
	const deadline = Date.now() + 15_000;
	for ( ;; ) {
		if ( exited ) {
			throw new Error( `janus exited during start-up:\n${ output.slice( -5000 ) }` );
		}
		if ( await probe( `${ url }/info` ) ) {
			break;
		}
		if ( Date.now() > deadline ) {
			child.kill( 'SIGKILL' );
			throw new Error( `janus did not answer on ${ url } within 15 s:\n${ output.slice( -5000 ) }` );
		}
		await new Promise( ( r ) => setTimeout( r, 100 ) );
	}
	return {
		url,
		child,
		logs: () => output,
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
}
