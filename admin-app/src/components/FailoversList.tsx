import { __, _n, sprintf } from '@wordpress/i18n';

import {
	PLATFORM_LABELS,
	PlatformIdSchema,
	type Failover,
} from '@bkx-video/contracts';

const label = ( id: string ) => {
	const parsed = PlatformIdSchema.safeParse( id );
	return parsed.success ? PLATFORM_LABELS[ parsed.data ] : id;
};

/**
 * Upcoming consultations that another platform serves because the chosen one refused or was down
 * (failover), with each platform's reason, so the admin sees what happened to which booking.
 * @param root0
 * @param root0.failovers
 */
export default function FailoversList( {
	failovers,
}: {
	failovers: Failover[];
} ) {
	if ( ! failovers.length ) {
		return null;
	}
	return (
		<details className="bkx-video-admin__failovers">
			<summary>
				{ sprintf(
					/* translators: %d: number of consultations */
					_n(
						'%d upcoming consultation is on another platform than planned',
						'%d upcoming consultations are on another platform than planned',
						failovers.length,
						'bookingx-video-consultation'
					),
					failovers.length
				) }
			</summary>
			<ul>
				{ failovers.map( ( f ) => (
					<li key={ f.consultation_id }>
						<strong>
							{ sprintf(
								/* translators: 1: booking number, 2: date and time, 3: platform that serves it */
								__(
									'Booking #%1$d, %2$s: %3$s',
									'bookingx-video-consultation'
								),
								f.booking_id,
								new Date( f.scheduled_start ).toLocaleString(
									document.documentElement.lang || undefined,
									{
										dateStyle: 'medium',
										timeStyle: 'short',
									}
								),
								f.served_by
									? sprintf(
											/* translators: %s: a video platform */
											__(
												'served by %s',
												'bookingx-video-consultation'
											),
											label( f.served_by )
										)
									: __(
											'no meeting yet',
											'bookingx-video-consultation'
										)
							) }
						</strong>
						<ul>
							{ f.failures.map( ( x, i ) => (
								<li key={ i }>
									{ label( x.platform ) }:{ ' ' }
									{ /* The reason starts with our code ("unavailable: …"); the sentence is for people. */ }
									{ x.reason.replace( /^[a-z_]+: /, '' ) }
								</li>
							) ) }
						</ul>
					</li>
				) ) }
			</ul>
		</details>
	);
}
