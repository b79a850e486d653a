import { z } from 'zod';

/** The five platform slugs; they are also the settings prefixes. */
export const PlatformIdSchema = z.enum( [ 'zoom', 'teams', 'meet', 'jitsi', 'webrtc' ] );
export type PlatformId = z.infer< typeof PlatformIdSchema >;

export const PLATFORM_LABELS: Record< PlatformId, string > = {
	zoom: 'Zoom',
	teams: 'Microsoft Teams',
	meet: 'Google Meet',
	jitsi: 'Jitsi Meet',
	webrtc: 'Built-in video room',
};

/** GET /platforms/selectable: the platforms a customer may pick on the booking form. */
export const SelectablePlatformsSchema = z.object( {
	allow_selection: z.boolean(),
	platforms: z.array( z.object( { id: PlatformIdSchema, label: z.string() } ) ),
} );
export type SelectablePlatforms = z.infer< typeof SelectablePlatformsSchema >;
