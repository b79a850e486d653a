import { NoticeList } from '@wordpress/components';
import { useDispatch, useSelect } from '@wordpress/data';
import { store as noticesStore } from '@wordpress/notices';

import { NOTICE_CONTEXT } from '../store/constants';

/** This screen's core/notices (save results). */
export default function Notices() {
	const notices = useSelect(
		( select ) => select( noticesStore ).getNotices( NOTICE_CONTEXT ),
		[]
	);
	const { removeNotice } = useDispatch( noticesStore );
	if ( notices.length === 0 ) {
		return null;
	}
	return (
		<NoticeList
			className="bkx-video-admin__notices"
			notices={
				notices as Parameters< typeof NoticeList >[ 0 ][ 'notices' ]
			}
			onRemove={ ( id: string ) => removeNotice( id, NOTICE_CONTEXT ) }
		/>
	);
}
