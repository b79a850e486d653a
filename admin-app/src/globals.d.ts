/** Inline data the plugin prints before the admin bundle (see plugin settings page). */
interface BkxVideoAdminData {
	restNamespace?: string;
	siteUrl?: string;
	joinPagePath?: string;
}

interface Window {
	bkxVideoAdmin?: BkxVideoAdminData;
}

declare module '*.css';
