import {
	Button,
	Card,
	CardBody,
	CardHeader,
	Spinner,
} from '@wordpress/components';
import { useSelect } from '@wordpress/data';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import type { PlatformCheckResult } from '@bkx-video/contracts';

import { store } from '../store';
import { platformLabel, stepTitle } from './labels';
import {
	stepsFor,
	type OAuthReturn,
	type WizardPlatform,
	type WizardStep,
} from './model';
import CheckStep from './steps/check-step';
import ChoosePlatform from './steps/choose-platform';
import ConnectGoogle from './steps/connect-google';
import Credentials from './steps/credentials';
import Done from './steps/done';

type Results = Partial<
	Record< 'connection' | 'test_meeting', PlatformCheckResult >
>;

/**
 * The setup wizard: choose a platform → credentials → (Google: connect an account) → check the
 * connection → create and delete a test meeting → done. Each step shows its progress and result;
 * what was typed stays in the settings draft when something fails.
 * @param root0
 * @param root0.oauthReturn Google's redirect back to this page (opens the Google step), or null
 * @param root0.onClose     back to the settings
 */
export default function Wizard( {
	oauthReturn,
	onClose,
}: {
	oauthReturn: OAuthReturn | null;
	onClose: () => void;
} ) {
	const settings = useSelect(
		( select ) => select( store ).getSettings(),
		[]
	);
	const [ platform, setPlatform ] = useState< WizardPlatform | null >(
		oauthReturn ? 'meet' : null
	);
	const [ stepIndex, setStepIndex ] = useState( oauthReturn ? 1 : 0 );
	const [ results, setResults ] = useState< Results >( {} );
	const [ organizerEmail, setOrganizerEmail ] = useState( '' );
	const [ googleConnected, setGoogleConnected ] = useState( false );
	// Google's code is single use: handed to the Google step once, then forgotten.
	const [ pendingReturn, setPendingReturn ] = useState( oauthReturn );

	if ( ! settings ) {
		return (
			<p className="bkx-video-admin__loading">
				<Spinner />
				{ __( 'Loading settings…', 'bookingx-video-consultation' ) }
			</p>
		);
	}

	const heading = (
		<h2 id="bkx-video-wizard-title" className="bkx-video-admin__title">
			{ __( 'Setup wizard', 'bookingx-video-consultation' ) }
		</h2>
	);

	if ( ! platform ) {
		return (
			<section
				className="bkx-video-wizard"
				aria-labelledby="bkx-video-wizard-title"
			>
				{ heading }
				<Card>
					<CardBody>
						<ChoosePlatform
							initial={ null }
							onChoose={ ( chosen ) => {
								setPlatform( chosen );
								setStepIndex( 0 );
								setResults( {} );
							} }
						/>
					</CardBody>
				</Card>
			</section>
		);
	}

	const label = platformLabel( platform );
	const steps = stepsFor( platform );
	const step = steps[ stepIndex ] as WizardStep;
	const next = () =>
		setStepIndex( ( i ) => Math.min( i + 1, steps.length - 1 ) );
	const back = () => setStepIndex( ( i ) => Math.max( i - 1, 0 ) );

	const stepState = (
		s: WizardStep,
		i: number
	): 'done' | 'failed' | 'current' | 'todo' => {
		if ( i === stepIndex ) {
			return 'current';
		}
		if ( s === 'connection' || s === 'test_meeting' ) {
			const r = results[ s ];
			if ( r ) {
				return r.ok ? 'done' : 'failed';
			}
		}
		return i < stepIndex ? 'done' : 'todo';
	};
	const stateText = ( state: ReturnType< typeof stepState > ) => {
		switch ( state ) {
			case 'done':
				return __( '(done)', 'bookingx-video-consultation' );
			case 'failed':
				return __( '(failed)', 'bookingx-video-consultation' );
			case 'current':
				return __( '(current step)', 'bookingx-video-consultation' );
			default:
				return '';
		}
	};

	// A step may be left forward once it succeeded; credentials move on by saving.
	let canGoOn = false;
	if ( step === 'connection' || step === 'test_meeting' ) {
		canGoOn = results[ step ]?.ok === true;
	} else if ( step === 'connect_google' ) {
		canGoOn = googleConnected;
	}

	let body;
	switch ( step ) {
		case 'credentials':
			body = (
				<Credentials
					platform={ platform }
					organizerEmail={ organizerEmail }
					onOrganizerEmail={ setOrganizerEmail }
					onSaved={ () => {
						// New credentials: earlier results no longer describe what is saved.
						setResults( {} );
						next();
					} }
				/>
			);
			break;
		case 'connect_google':
			body = (
				<ConnectGoogle
					oauthReturn={ pendingReturn }
					onConsumed={ () => setPendingReturn( null ) }
					onStatus={ setGoogleConnected }
				/>
			);
			break;
		case 'connection':
		case 'test_meeting':
			body = (
				<CheckStep
					key={ step }
					platform={ platform }
					step={ step }
					label={ label }
					organizerEmail={ organizerEmail }
					result={ results[ step ] ?? null }
					onResult={ ( r ) =>
						setResults( ( prev ) => {
							const copy = { ...prev };
							if ( r ) {
								copy[ step ] = r;
							} else {
								delete copy[ step ];
							}
							return copy;
						} )
					}
				/>
			);
			break;
		case 'done':
			body = (
				<Done
					platform={ platform }
					label={ label }
					onFinish={ onClose }
				/>
			);
			break;
	}

	return (
		<section
			className="bkx-video-wizard"
			aria-labelledby="bkx-video-wizard-title"
		>
			{ heading }
			<p className="bkx-video-wizard__platform">
				{ sprintf(
					/* translators: %s: platform name, such as "Zoom". */
					__( 'Setting up %s', 'bookingx-video-consultation' ),
					label
				) }{ ' ' }
				<Button
					variant="link"
					onClick={ () => {
						setPlatform( null );
						setResults( {} );
					} }
				>
					{ __(
						'Choose another platform',
						'bookingx-video-consultation'
					) }
				</Button>
			</p>
			<ol className="bkx-video-wizard__steps">
				{ steps.map( ( s, i ) => {
					const state = stepState( s, i );
					return (
						<li
							key={ s }
							className={ `bkx-video-wizard__step is-${ state }` }
							aria-current={
								state === 'current' ? 'step' : undefined
							}
						>
							{ stepTitle( s ) }
							{ state !== 'todo' && (
								<span className="screen-reader-text">
									{ ' ' }
									{ stateText( state ) }
								</span>
							) }
						</li>
					);
				} ) }
			</ol>
			<Card>
				<CardHeader>
					<h3 className="bkx-video-admin__card-title">
						{ sprintf(
							/* translators: 1: step number, 2: number of steps, 3: step title. */
							__(
								'Step %1$d of %2$d: %3$s',
								'bookingx-video-consultation'
							),
							stepIndex + 1,
							steps.length,
							stepTitle( step )
						) }
					</h3>
				</CardHeader>
				<CardBody>{ body }</CardBody>
			</Card>
			<div className="bkx-video-admin__actions bkx-video-wizard__nav">
				{ stepIndex > 0 && (
					<Button variant="secondary" onClick={ back }>
						{ __( 'Back', 'bookingx-video-consultation' ) }
					</Button>
				) }
				{ step !== 'credentials' && step !== 'done' && (
					<Button
						variant="primary"
						disabled={ ! canGoOn }
						onClick={ next }
					>
						{ __( 'Next', 'bookingx-video-consultation' ) }
					</Button>
				) }
			</div>
		</section>
	);
}
