import { Button, Notice, Spinner } from '@wordpress/components';
import { useEffect, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import type { MeetOAuthStatus } from '@bkx-video/contracts';

import { api, toErrorShape, type ApiErrorShape } from '../../api';
import { getErrorFix, getErrorMessage } from '../../errors';
import { withoutOAuthQuery, type OAuthReturn } from '../model';

type Outcome =
	| { kind: 'connected'; account: string | null }
	| { kind: 'declined'; error: string }
	| { kind: 'disconnected' }
	| { kind: 'failed'; error: ApiErrorShape };

function OutcomeNotice( { outcome }: { outcome: Outcome } ) {
	switch ( outcome.kind ) {
		case 'connected':
			return (
				<Notice status="success" isDismissible={ false }>
					<p>
						{ outcome.account
							? sprintf(
									/* translators: %s: Google account, such as an e-mail address. */
									__(
										'Google account connected: %s.',
										'bookingx-video-consultation'
									),
									outcome.account
								)
							: __(
									'Google account connected.',
									'bookingx-video-consultation'
								) }
					</p>
				</Notice>
			);
		case 'declined':
			return (
				<Notice status="error" isDismissible={ false }>
					<p>
						{ outcome.error === 'access_denied'
							? __(
									'Access was not granted at Google. Click “Connect Google account” and allow access to the calendar.',
									'bookingx-video-consultation'
								)
							: sprintf(
									/* translators: %s: the error Google reported, such as "invalid_scope". */
									__(
										'Google did not connect the account (%s). Check the client ID and the redirect URI, then click “Connect Google account” again.',
										'bookingx-video-consultation'
									),
									outcome.error
								) }
					</p>
				</Notice>
			);
		case 'disconnected':
			return (
				<Notice status="info" isDismissible={ false }>
					<p>
						{ __(
							'The Google account was disconnected.',
							'bookingx-video-consultation'
						) }
					</p>
				</Notice>
			);
		case 'failed': {
			const fix = getErrorFix( outcome.error );
			return (
				<Notice status="error" isDismissible={ false }>
					<p>{ getErrorMessage( outcome.error ) }</p>
					{ fix && <p>{ fix }</p> }
				</Notice>
			);
		}
	}
}

/**
 * Google Meet's OAuth consent: "Connect Google account" sends the browser to Google; Google sends it
 * back to this page with `?bkx_video_oauth=meet&code=…&state=…`, which is traded here once and
 * removed from the address bar. Shows the connected account and offers "Disconnect".
 * @param root0
 * @param root0.oauthReturn what Google's redirect brought (once), or null
 * @param root0.onConsumed  called once the redirect's query was read and removed
 * @param root0.onStatus    called with whether an account is connected
 */
export default function ConnectGoogle( {
	oauthReturn,
	onConsumed,
	onStatus,
}: {
	oauthReturn: OAuthReturn | null;
	onConsumed: () => void;
	onStatus: ( connected: boolean ) => void;
} ) {
	const [ status, setStatus ] = useState< MeetOAuthStatus | null >( null );
	const [ busy, setBusy ] = useState<
		'load' | 'connect' | 'exchange' | 'disconnect' | null
	>( 'load' );
	const [ outcome, setOutcome ] = useState< Outcome | null >( null );
	const started = useRef( false );

	const loadStatus = async () => {
		try {
			const next = await api.platforms.meetOAuth.status();
			setStatus( next );
			onStatus( next.connected );
		} catch ( caught ) {
			setOutcome( { kind: 'failed', error: toErrorShape( caught ) } );
		}
	};

	useEffect( () => {
		if ( started.current ) {
			return;
		}
		started.current = true;
		( async () => {
			if ( oauthReturn ) {
				// The code is single use: off the address bar (and history) before anything else.
				window.history.replaceState(
					window.history.state,
					'',
					withoutOAuthQuery( window.location.href )
				);
				onConsumed();
				if ( oauthReturn.kind === 'error' ) {
					setOutcome( {
						kind: 'declined',
						error: oauthReturn.error,
					} );
				} else {
					setBusy( 'exchange' );
					try {
						const res = await api.platforms.meetOAuth.exchange( {
							code: oauthReturn.code,
							state: oauthReturn.state,
						} );
						setOutcome( {
							kind: 'connected',
							account: res.account,
						} );
					} catch ( caught ) {
						setOutcome( {
							kind: 'failed',
							error: toErrorShape( caught ),
						} );
					}
				}
			}
			setBusy( 'load' );
			await loadStatus();
			setBusy( null );
		} )();
		// Runs once per mount: the redirect's code can be traded only once.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [] );

	const connect = async () => {
		setBusy( 'connect' );
		setOutcome( null );
		try {
			const { authorize_url: url } =
				await api.platforms.meetOAuth.start();
			window.location.assign( url );
		} catch ( caught ) {
			setOutcome( { kind: 'failed', error: toErrorShape( caught ) } );
			setBusy( null );
		}
	};

	const disconnect = async () => {
		setBusy( 'disconnect' );
		setOutcome( null );
		try {
			await api.platforms.meetOAuth.disconnect();
			setOutcome( { kind: 'disconnected' } );
			await loadStatus();
		} catch ( caught ) {
			setOutcome( { kind: 'failed', error: toErrorShape( caught ) } );
		} finally {
			setBusy( null );
		}
	};

	let progress: string | null = null;
	if ( busy === 'exchange' ) {
		progress = __(
			'Finishing the Google sign-in…',
			'bookingx-video-consultation'
		);
	} else if ( busy === 'connect' ) {
		progress = __( 'Opening Google…', 'bookingx-video-consultation' );
	} else if ( busy === 'load' ) {
		progress = __(
			'Checking the Google connection…',
			'bookingx-video-consultation'
		);
	} else if ( busy === 'disconnect' ) {
		progress = __( 'Disconnecting…', 'bookingx-video-consultation' );
	}

	return (
		<div className="bkx-video-wizard__google">
			<p>
				{ __(
					'Google asks you to sign in with the account whose calendar will hold the consultations, and to allow access. You come back here afterwards.',
					'bookingx-video-consultation'
				) }
			</p>
			{ status && (
				<p className="bkx-video-wizard__google-status">
					{ status.connected
						? sprintf(
								/* translators: %s: Google account, such as an e-mail address. */
								__(
									'Connected: %s',
									'bookingx-video-consultation'
								),
								status.account ??
									__(
										'a Google account',
										'bookingx-video-consultation'
									)
							)
						: __(
								'No Google account is connected.',
								'bookingx-video-consultation'
							) }
				</p>
			) }
			<div className="bkx-video-admin__actions">
				<Button
					variant={ status?.connected ? 'secondary' : 'primary' }
					isBusy={ busy === 'connect' }
					disabled={ busy !== null }
					onClick={ connect }
				>
					{ status?.connected
						? __(
								'Connect another Google account',
								'bookingx-video-consultation'
							)
						: __(
								'Connect Google account',
								'bookingx-video-consultation'
							) }
				</Button>
				{ status?.connected && (
					<Button
						variant="tertiary"
						isDestructive
						isBusy={ busy === 'disconnect' }
						disabled={ busy !== null }
						onClick={ disconnect }
					>
						{ __( 'Disconnect', 'bookingx-video-consultation' ) }
					</Button>
				) }
			</div>
			<div
				className="bkx-video-wizard__result"
				role="status"
				aria-live="polite"
				aria-busy={ busy !== null }
			>
				{ progress && (
					<p className="bkx-video-admin__loading">
						<Spinner />
						{ progress }
					</p>
				) }
				{ ! progress && outcome && (
					<OutcomeNotice outcome={ outcome } />
				) }
			</div>
		</div>
	);
}
