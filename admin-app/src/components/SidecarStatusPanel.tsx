import {
	Button,
	Card,
	CardBody,
	CardHeader,
	Notice,
	Spinner,
} from '@wordpress/components';
import { useDispatch, useSelect } from '@wordpress/data';
import { __, _n, sprintf } from '@wordpress/i18n';

import { getErrorFix, getErrorMessage } from '../errors';
import { store } from '../store';
import FailoversList from './FailoversList';
import PlatformHealthNotice from './PlatformHealthNotice';

/** Whether the sidecar answers, its version and its pending migrations. */
export default function SidecarStatusPanel() {
	const { status, error, isLoading } = useSelect(
		( select ) => ( {
			status: select( store ).getSidecarStatus(),
			error: select( store ).getSidecarStatusError(),
			isLoading: select( store ).isSidecarStatusLoading(),
		} ),
		[]
	);
	const { refreshSidecarStatus } = useDispatch( store );

	let body;
	if ( error ) {
		const unreachable =
			error.code === 'sidecar_unavailable' || error.status === 503;
		body = unreachable ? (
			<Notice status="warning" isDismissible={ false }>
				<p>
					<strong>
						{ __(
							'The video consultation service (sidecar) is not reachable.',
							'bookingx-video-consultation'
						) }
					</strong>
				</p>
				<p>{ getErrorFix( { code: 'sidecar_unavailable' } ) }</p>
			</Notice>
		) : (
			<Notice status="error" isDismissible={ false }>
				<p>{ getErrorMessage( error ) }</p>
			</Notice>
		);
	} else if ( status ) {
		const pending = status.migrations.pending;
		body = (
			<>
				<PlatformHealthNotice health={ status.platform_health ?? [] } />
				<dl className="bkx-video-admin__status-list">
					<dt>
						{ __( 'Reachable', 'bookingx-video-consultation' ) }
					</dt>
					<dd>{ __( 'Yes', 'bookingx-video-consultation' ) }</dd>
					<dt>{ __( 'Version', 'bookingx-video-consultation' ) }</dt>
					<dd>{ status.version }</dd>
					<dt>
						{ __(
							'Pending migrations',
							'bookingx-video-consultation'
						) }
					</dt>
					<dd>
						{ pending.length === 0
							? __(
									'None (database up to date)',
									'bookingx-video-consultation'
								)
							: sprintf(
									/* translators: 1: number of migrations, 2: their names. */
									_n(
										'%1$d pending: %2$s',
										'%1$d pending: %2$s',
										pending.length,
										'bookingx-video-consultation'
									),
									pending.length,
									pending.join( ', ' )
								) }
					</dd>
					<dt>
						{ __(
							'Outbox backlog',
							'bookingx-video-consultation'
						) }
					</dt>
					<dd>
						{ sprintf(
							/* translators: %d: number of booking events not processed yet. */
							_n(
								'%d event',
								'%d events',
								status.outbox_backlog,
								'bookingx-video-consultation'
							),
							status.outbox_backlog
						) }
					</dd>
				</dl>
				<FailoversList failovers={ status.failovers ?? [] } />
			</>
		);
	} else {
		body = <Spinner />;
	}

	return (
		<Card className="bkx-video-admin__status" size="small">
			<CardHeader>
				<h2 className="bkx-video-admin__card-title">
					{ __( 'Sidecar status', 'bookingx-video-consultation' ) }
				</h2>
				<Button
					variant="secondary"
					isBusy={ isLoading }
					disabled={ isLoading }
					onClick={ () => refreshSidecarStatus() }
				>
					{ __( 'Check again', 'bookingx-video-consultation' ) }
				</Button>
			</CardHeader>
			<CardBody>{ body }</CardBody>
		</Card>
	);
}
