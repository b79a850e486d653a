/**
 * The guest's personal token (`?bkx_vc=`), shared by the blocks' front ends.
 */

const TOKEN_KEY = 'bkx_vc';

/**
 * The guest's personal token: read once from the invitation link, then taken out of the address
 * bar (so analytics scripts, history and shared screenshots never see it) and kept for this tab
 * only, so a reload still works.
 */
export function accessToken(): string | undefined {
	const url = new URL( window.location.href );
	const fromUrl = url.searchParams.get( TOKEN_KEY );
	if ( fromUrl ) {
		try {
			window.sessionStorage.setItem( TOKEN_KEY, fromUrl );
			url.searchParams.delete( TOKEN_KEY );
			window.history.replaceState(
				window.history.state,
				'',
				url.toString()
			);
		} catch {
			// Storage refused (private mode): keep the token in the address bar instead.
		}
		return fromUrl;
	}
	try {
		return window.sessionStorage.getItem( TOKEN_KEY ) || undefined;
	} catch {
		return undefined;
	}
}
