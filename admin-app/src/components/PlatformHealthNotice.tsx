import { Notice } from '@wordpress/components';
import { __, _n, sprintf } from '@wordpress/i18n';

import { PLATFORM_LABELS, type PlatformHealth } from '@bkx-video/contracts';

/**
 * Date and time in the viewer's own timezone and language.
 * @param iso
 */
function when( iso: string ): string {
	return new Date( iso ).toLocaleString(
		document.documentElement.lang || undefined,
		{
			dateStyle: 'medium',
			timeStyle: 'short',
		}
	);
}

/**
 * Platforms whose credentials stopped working (integration health): what the platform said, since
 * when, and the consultations it affects. The same list drives the notice on every wp-admin page.
 * @param root0
 * @param root0.health
 */
export default function PlatformHealthNotice( {
	health,
}: {
	health: PlatformHealth[];
} ) {
	if ( ! health.length ) {
		return null;
	}
	return (
		<>
			{ health.map( ( h ) => (
				<Notice
					key={ h.platform }
					status="error"
					isDismissible={ false }
					className="bkx-video-admin__health"
				>
					<p>
						<strong>
							{ sprintf(
								/* translators: %s: a video platform, e.g. Zoom */
								__(
									'%s stopped working for video consultations.',
									'bookingx-video-consultation'
								),
								h.label
							) }
						</strong>{ ' ' }
						{ h.message }
					</p>
					<p>
						{ sprintf(
							/* translators: %s: date and time */
							__( 'Since %s.', 'bookingx-video-consultation' ),
							when( h.since )
						) }{ ' ' }
						{ __(
							'Save working credentials and the affected consultations are repaired automatically; otherwise they are checked again every 5 minutes.',
							'bookingx-video-consultation'
						) }
					</p>
					{ h.affected.length > 0 && (
						<details>
							<summary>
								{ sprintf(
									/* translators: %d: number of consultations */
									_n(
										'%d consultation affected',
										'%d consultations affected',
										h.affected_count,
										'bookingx-video-consultation'
									),
									h.affected_count
								) }
							</summary>
							<ul>
								{ h.affected.map( ( a ) => (
									<li key={ a.consultation_id }>
										{ sprintf(
											/* translators: 1: booking number, 2: date and time, 3: customer name */
											__(
												'Booking #%1$d, %2$s, %3$s',
												'bookingx-video-consultation'
											),
											a.booking_id,
											when( a.scheduled_start ),
											a.customer_name ??
												__(
													'unknown customer',
													'bookingx-video-consultation'
												)
										) }
										{ ': ' }
										{ a.served_by &&
										a.served_by !== h.platform
											? sprintf(
													/* translators: %s: another video platform */
													__(
														'served by %s meanwhile',
														'bookingx-video-consultation'
													),
													PLATFORM_LABELS[
														a.served_by
													]
												)
											: __(
													'waiting to be updated',
													'bookingx-video-consultation'
												) }
									</li>
								) ) }
							</ul>
						</details>
					) }
				</Notice>
			) ) }
		</>
	);
}
