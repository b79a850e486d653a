/**
 * Video grid shape for a participant count and the stage's size. Pure, so it is unit-tested.
 */

/** At or below this stage width (CSS px) tiles stack and the self view floats in a corner. */
export const PHONE_MAX_WIDTH = 480;

export interface StageLayout {
	/** `grid`: equal tiles; `stack`: one column of remote tiles, self view small in a corner. */
	mode: 'grid' | 'stack';
	columns: number;
	rows: number;
	/** The self tile is taken out of the grid and floats over it. */
	selfFloating: boolean;
}

/**
 * Columns and rows for `tiles` tiles (self included) on a `width` × `height` stage: 1 → 1×1,
 * 2 → side by side (one above the other in portrait), 3–4 → 2×2, 5–6 → 3×2 (2×3 in portrait),
 * 7–9 → 3×3, more → the smallest near-square grid. Phone width → stacked.
 * @param tiles  Participants shown, self included.
 * @param width  Stage width in CSS px (0 when unknown).
 * @param height Stage height in CSS px (0 when unknown).
 */
export function stageLayout(
	tiles: number,
	width: number,
	height: number
): StageLayout {
	const count = Math.max( 1, Math.floor( tiles ) );
	if ( width > 0 && width <= PHONE_MAX_WIDTH ) {
		const remote = count - 1;
		return remote === 0
			? { mode: 'stack', columns: 1, rows: 1, selfFloating: false }
			: { mode: 'stack', columns: 1, rows: remote, selfFloating: true };
	}
	const portrait = height > width && width > 0;
	let columns: number;
	if ( count === 1 ) {
		columns = 1;
	} else if ( count === 2 ) {
		columns = portrait ? 1 : 2;
	} else if ( count <= 4 ) {
		columns = 2;
	} else if ( count <= 6 ) {
		columns = portrait ? 2 : 3;
	} else {
		columns = Math.ceil( Math.sqrt( count ) );
	}
	return {
		mode: 'grid',
		columns,
		rows: Math.ceil( count / columns ),
		selfFloating: false,
	};
}
