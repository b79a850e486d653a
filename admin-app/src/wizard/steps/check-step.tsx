import { Button, Notice, Spinner } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import type {
	PlatformCheckResult,
	PlatformCheckStep,
} from '@bkx-video/contracts';

import { api, toErrorShape, type ApiErrorShape } from '../../api';
import { getErrorFix, getErrorMessage } from '../../errors';
import { resultHeadline } from '../labels';
import type { WizardPlatform } from '../model';

/**
 * One check against the saved settings: a button, progress while it runs, then the result in an
 * `aria-live` region (success, or what is wrong and how to fix it).
 * @param root0
 * @param root0.platform
 * @param root0.step
 * @param root0.label          the platform's name
 * @param root0.organizerEmail Teams' test organizer
 * @param root0.result         the last result of this step (kept by the wizard)
 * @param root0.onResult
 */
export default function CheckStep( {
	platform,
	step,
	label,
	organizerEmail,
	result,
	onResult,
}: {
	platform: WizardPlatform;
	step: PlatformCheckStep;
	label: string;
	organizerEmail: string;
	result: PlatformCheckResult | null;
	onResult: ( result: PlatformCheckResult | null ) => void;
} ) {
	const [ busy, setBusy ] = useState( false );
	const [ error, setError ] = useState< ApiErrorShape | null >( null );

	const run = async () => {
		setBusy( true );
		setError( null );
		onResult( null );
		try {
			onResult(
				await api.platforms.check( platform, {
					step,
					...( organizerEmail.trim()
						? { organizer_email: organizerEmail.trim() }
						: {} ),
				} )
			);
		} catch ( caught ) {
			setError( toErrorShape( caught ) );
		} finally {
			setBusy( false );
		}
	};

	const intro =
		step === 'connection'
			? sprintf(
					/* translators: %s: platform name, such as "Zoom". */
					__(
						'Signs in to %s with the saved credentials and makes one harmless read.',
						'bookingx-video-consultation'
					),
					label
				)
			: sprintf(
					/* translators: %s: platform name, such as "Zoom". */
					__(
						'Creates a meeting in %s for tomorrow, named “BookingX test meeting — safe to delete”, and deletes it again at once.',
						'bookingx-video-consultation'
					),
					label
				);

	const fix = error ? getErrorFix( error ) : null;
	return (
		<div className="bkx-video-wizard__check">
			<p>{ intro }</p>
			<div className="bkx-video-admin__actions">
				<Button
					variant={ result?.ok ? 'secondary' : 'primary' }
					isBusy={ busy }
					disabled={ busy }
					onClick={ run }
				>
					{ step === 'connection'
						? __(
								'Check connection',
								'bookingx-video-consultation'
							)
						: __(
								'Create and delete a test meeting',
								'bookingx-video-consultation'
							) }
				</Button>
			</div>
			<div
				className="bkx-video-wizard__result"
				role="status"
				aria-live="polite"
				aria-busy={ busy }
			>
				{ busy && (
					<p className="bkx-video-admin__loading">
						<Spinner />
						{ step === 'connection'
							? __(
									'Checking the connection…',
									'bookingx-video-consultation'
								)
							: __(
									'Creating and deleting the test meeting…',
									'bookingx-video-consultation'
								) }
					</p>
				) }
				{ ! busy && result && (
					<Notice
						status={ result.ok ? 'success' : 'error' }
						isDismissible={ false }
					>
						<p>
							<strong>{ resultHeadline( result ) }</strong>
						</p>
						<p className="bkx-video-wizard__message">
							{ result.message }
						</p>
						{ result.fix && (
							<p className="bkx-video-wizard__fix">
								{ sprintf(
									/* translators: %s: what the administrator should do. */
									__(
										'How to fix it: %s',
										'bookingx-video-consultation'
									),
									result.fix
								) }
							</p>
						) }
					</Notice>
				) }
				{ ! busy && error && (
					<Notice status="error" isDismissible={ false }>
						<p>
							<strong>
								{ __(
									'The check could not run.',
									'bookingx-video-consultation'
								) }
							</strong>
						</p>
						<p>{ getErrorMessage( error ) }</p>
						{ fix && <p>{ fix }</p> }
					</Notice>
				) }
			</div>
		</div>
	);
}
