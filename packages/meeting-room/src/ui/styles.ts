/**
 * The room's CSS, injected once per document into `<style id="bkx-room-styles">`.
 *
 * Themable through the `--bkx-room-*` custom properties: their defaults sit in `:where(.bkx-room)`
 * (no specificity), so any theme rule on the element wins, e.g.
 * `.wp-block-bookingx-video-meeting-room .bkx-room { --bkx-room-accent: #0a7; }`.
 * Logical properties only (inline/block, start/end), so right-to-left pages mirror.
 */

export const STYLE_ID = 'bkx-room-styles';

export const CSS = `
:where(.bkx-room){--bkx-room-bg:#101318;--bkx-room-fg:#f3f4f6;--bkx-room-muted:#aab1bc;--bkx-room-surface:#1b2027;--bkx-room-tile:#272d36;--bkx-room-accent:#2563eb;--bkx-room-accent-fg:#fff;--bkx-room-danger:#c81e1e;--bkx-room-good:#22c55e;--bkx-room-fair:#eab308;--bkx-room-poor:#f05252;--bkx-room-focus:#fbbf24;--bkx-room-radius:8px;--bkx-room-gap:8px;--bkx-room-min-height:min(85vh,760px);--bkx-room-height:min(85vh,760px)}
.bkx-room{position:relative;display:flex;flex-direction:column;min-block-size:var(--bkx-room-min-height);background:var(--bkx-room-bg);color:var(--bkx-room-fg);border-radius:var(--bkx-room-radius);overflow:hidden;line-height:1.4}
.bkx-room *,.bkx-room ::before,.bkx-room ::after{box-sizing:border-box}
.bkx-room [hidden]{display:none!important}
.bkx-room h2,.bkx-room h3,.bkx-room h4,.bkx-room p{margin:0}
.bkx-room button{font:inherit;color:inherit;background:var(--bkx-room-tile);border:1px solid transparent;border-radius:var(--bkx-room-radius);padding-block:.5em;padding-inline:.9em;min-block-size:44px;cursor:pointer}
.bkx-room button:hover{filter:brightness(1.15)}
.bkx-room button:disabled,.bkx-room button[aria-disabled=true]{opacity:.55;cursor:not-allowed}
.bkx-room :focus-visible{outline:3px solid var(--bkx-room-focus);outline-offset:2px}
.bkx-room input,.bkx-room select,.bkx-room textarea{font:inherit;color:inherit;background:var(--bkx-room-bg);border:1px solid var(--bkx-room-muted);border-radius:calc(var(--bkx-room-radius)/2);padding-block:.45em;padding-inline:.6em;inline-size:100%}
.bkx-room textarea{resize:vertical}
.bkx-room__primary{background:var(--bkx-room-accent)!important;color:var(--bkx-room-accent-fg)!important}
.bkx-room__danger{background:var(--bkx-room-danger)!important;color:#fff!important}
.bkx-room__small{min-block-size:36px;padding-block:.25em;padding-inline:.7em;font-size:.9em}
.bkx-room__sr{position:absolute!important;inline-size:1px;block-size:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.bkx-room__icon{inline-size:20px;block-size:20px;flex:none;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.bkx-room__icon-leave:dir(rtl){transform:scaleX(-1)}
.bkx-room__screen{flex:1;display:flex;flex-direction:column;gap:1rem;padding:clamp(1rem,3vw,2rem);overflow:auto}
.bkx-room__heading{font-size:1.35em}
.bkx-room__preflight-grid{display:grid;gap:1.5rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,18rem),1fr));align-items:start}
.bkx-room__column{display:flex;flex-direction:column;gap:1rem}
.bkx-room__preview{position:relative;aspect-ratio:16/9;background:var(--bkx-room-tile);border-radius:var(--bkx-room-radius);overflow:hidden;display:grid;place-items:center}
.bkx-room__preview--small{max-inline-size:320px}
.bkx-room__preview-off{color:var(--bkx-room-muted)}
.bkx-room__preview .bkx-room__video{position:absolute;inset:0}
.bkx-room__video{inline-size:100%;block-size:100%;object-fit:cover;display:block;background:#000}
.bkx-room__mirror{transform:scaleX(-1)}
.bkx-room__actions{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center}
.bkx-room__actions button,.bkx-room__toggle{display:inline-flex;align-items:center;gap:.4rem}
.bkx-room__field{display:grid;gap:.3rem}
.bkx-room__field-label{font-weight:600;font-size:.9em}
.bkx-room__devices{display:grid;gap:.75rem}
.bkx-room__meter{inline-size:100%;block-size:.75rem}
.bkx-room__checks{list-style:none;margin:0;padding:0;display:grid;gap:.25rem}
.bkx-room__check::before{content:"•";display:inline-block;inline-size:1.2em;color:var(--bkx-room-muted)}
.bkx-room__check[data-ok=true]::before{content:"✓";color:var(--bkx-room-good)}
.bkx-room__check[data-ok=false]::before{content:"!";color:var(--bkx-room-poor)}
.bkx-room__error{color:var(--bkx-room-poor);font-weight:600}
.bkx-room__problems:empty{display:none}
.bkx-room__join{display:grid;gap:.75rem}
.bkx-room__status{color:var(--bkx-room-muted)}
.bkx-room[data-screen=room]{block-size:var(--bkx-room-height)}
.bkx-room__room{flex:1;display:flex;flex-direction:column;min-block-size:0}
.bkx-room__bar{display:flex;align-items:center;gap:.75rem;padding-block:.5rem;padding-inline:1rem;flex-wrap:wrap}
.bkx-room__title{font-size:1em;font-weight:600;margin-inline-end:auto;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bkx-room__badge{background:var(--bkx-room-danger);color:#fff;border-radius:999px;padding-inline:.7em;font-size:.85em;font-weight:600}
.bkx-room__badge::before{content:"● "}
.bkx-room__timer{font-variant-numeric:tabular-nums}
.bkx-room__timer[data-over]{color:var(--bkx-room-poor);font-weight:700}
.bkx-room__banner{display:flex;align-items:center;justify-content:center;flex-wrap:wrap;gap:.75rem;padding-block:.4rem;padding-inline:1rem;background:var(--bkx-room-fair);color:#111}
.bkx-room__banner[data-kind=lost]{background:var(--bkx-room-danger);color:#fff}
.bkx-room__body{flex:1;display:flex;min-block-size:0;position:relative}
.bkx-room__stage{flex:1;position:relative;display:grid;gap:var(--bkx-room-gap);padding:var(--bkx-room-gap);grid-template-columns:repeat(var(--bkx-cols,1),minmax(0,1fr));grid-auto-rows:minmax(0,1fr);min-block-size:240px}
.bkx-room__stage[data-layout=stack]{grid-auto-rows:minmax(180px,1fr);overflow:auto}
.bkx-room__tile{position:relative;margin:0;background:var(--bkx-room-tile);border-radius:var(--bkx-room-radius);overflow:hidden;min-block-size:0}
.bkx-room__tile .bkx-room__video{position:absolute;inset:0}
.bkx-room__tile[data-screen] .bkx-room__video{object-fit:contain}
.bkx-room__tile[data-floating]{position:absolute;inset-block-end:calc(var(--bkx-room-gap)*2);inset-inline-end:calc(var(--bkx-room-gap)*2);inline-size:30%;max-inline-size:140px;aspect-ratio:3/4;z-index:2;box-shadow:0 2px 10px #000a}
.bkx-room__avatar{position:absolute;inset:0;display:none;place-items:center;font-size:2rem;font-weight:700;background:var(--bkx-room-tile)}
.bkx-room__tile[data-video-off] .bkx-room__avatar{display:grid}
.bkx-room__tile-state{position:absolute;inset-block-start:.5rem;inset-inline-start:.5rem;background:#000a;border-radius:4px;padding-inline:.5em;font-size:.85em}
.bkx-room__caption{position:absolute;inset-inline:0;inset-block-end:0;display:flex;align-items:center;gap:.4rem;padding-block:.3rem;padding-inline:.5rem;background:linear-gradient(transparent,#000b);font-size:.85rem}
.bkx-room__name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;margin-inline-end:auto}
.bkx-room__muted{display:inline-flex;color:var(--bkx-room-poor)}
.bkx-room__muted .bkx-room__icon{inline-size:16px;block-size:16px}
.bkx-room__quality{direction:ltr;display:inline-flex;align-items:flex-end;gap:2px;block-size:14px}
.bkx-room__quality i{inline-size:4px;background:currentColor;opacity:.3;border-radius:1px}
.bkx-room__quality i:nth-child(1){block-size:40%}.bkx-room__quality i:nth-child(2){block-size:70%}.bkx-room__quality i:nth-child(3){block-size:100%}
.bkx-room__quality[data-level=good]{color:var(--bkx-room-good)}.bkx-room__quality[data-level=good] i{opacity:1}
.bkx-room__quality[data-level=fair]{color:var(--bkx-room-fair)}.bkx-room__quality[data-level=fair] i:nth-child(-n+2){opacity:1}
.bkx-room__quality[data-level=poor]{color:var(--bkx-room-poor)}.bkx-room__quality[data-level=poor] i:first-child{opacity:1}
.bkx-room__controls{display:flex;flex-wrap:wrap;justify-content:center;gap:.5rem;padding:.6rem;background:var(--bkx-room-surface)}
.bkx-room__control{position:relative;display:inline-flex;flex-direction:column;align-items:center;gap:.15rem;min-inline-size:4.75rem;font-size:.8rem}
.bkx-room__control[data-off]{background:var(--bkx-room-fg);color:var(--bkx-room-bg)}
.bkx-room__control[aria-expanded=true],.bkx-room__control[aria-pressed=true],.bkx-room__control[data-active]{border-color:var(--bkx-room-accent);background:var(--bkx-room-accent);color:var(--bkx-room-accent-fg)}
.bkx-room__count{position:absolute;inset-block-start:2px;inset-inline-end:2px;min-inline-size:1.4em;border-radius:999px;background:var(--bkx-room-danger);color:#fff;font-size:.7rem;line-height:1.4em}
.bkx-room__panel{inline-size:min(340px,100%);flex:none;display:flex;flex-direction:column;background:var(--bkx-room-surface);border-inline-start:1px solid #0008;min-block-size:0}
.bkx-room[data-narrow] .bkx-room__controls{gap:.35rem;padding:.4rem}
.bkx-room[data-narrow] .bkx-room__control{min-inline-size:44px;padding-inline:.5em}
.bkx-room[data-narrow] .bkx-room__control .bkx-room__label{position:absolute;inline-size:1px;block-size:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.bkx-room[data-narrow] .bkx-room__panel{position:absolute;inset:0;inline-size:auto;z-index:3;border:0}
.bkx-room__panel-head{display:flex;align-items:center;justify-content:space-between;gap:.5rem;padding-block:.4rem;padding-inline:.75rem}
.bkx-room__panel-title{font-size:1em}
.bkx-room__panel .bkx-room__devices{padding:.75rem}
.bkx-room__board{inline-size:min(560px,100%);overflow-y:auto}
.bkx-room__board-canvas{display:block;inline-size:calc(100% - 1.5rem);margin-inline:.75rem;aspect-ratio:16/9;background:#fff;border-radius:4px;touch-action:none;cursor:crosshair}
.bkx-room__board-tools{display:flex;flex-wrap:wrap;gap:.4rem;padding:.75rem}
.bkx-room__swatch::before{content:"";display:inline-block;inline-size:.9em;block-size:.9em;border-radius:50%;background:var(--bkx-room-swatch);margin-inline-end:.35em;vertical-align:-.1em}
.bkx-room__swatch[aria-pressed=true]{outline:2px solid currentColor;outline-offset:1px}
.bkx-room__board-status{padding-inline:.75rem;margin:0;min-block-size:1.2em}
.bkx-room__effects{padding-inline:.75rem;display:grid;gap:.4rem}
.bkx-room__messages{flex:1;overflow:auto;list-style:none;margin:0;padding-block:.5rem;padding-inline:.75rem;display:flex;flex-direction:column;gap:.6rem}
.bkx-room__empty{padding-inline:.75rem;color:var(--bkx-room-muted)}
.bkx-room__message[data-pending]{opacity:.65}
.bkx-room__meta{font-size:.8rem;color:var(--bkx-room-muted)}
.bkx-room__sender{font-weight:600;color:var(--bkx-room-fg)}
.bkx-room__text{white-space:pre-wrap;overflow-wrap:anywhere}
.bkx-room__compose{display:grid;gap:.4rem;padding:.75rem;border-block-start:1px solid #0008}
.bkx-room__compose-row{display:flex;align-items:center;justify-content:space-between;gap:.5rem}
.bkx-room__counter{font-size:.75rem;color:var(--bkx-room-muted)}
.bkx-room__counter[data-full=true]{color:var(--bkx-room-poor)}
.bkx-room__files{display:grid;gap:.4rem;padding-block:0 .75rem;padding-inline:.75rem}
.bkx-room__uploads{list-style:none;margin:0;padding:0;display:grid;gap:.4rem}
.bkx-room__upload{display:grid;gap:.25rem;font-size:.85rem}
.bkx-room__upload[data-state=failed] .bkx-room__upload-text{color:var(--bkx-room-poor)}
.bkx-room__upload-bar{inline-size:100%}
.bkx-room__upload-actions{display:flex;gap:.4rem}
.bkx-room__file-link{text-align:start;text-decoration:underline;background:none;border:0;padding:0;color:inherit;cursor:pointer}
.bkx-room__notes-text{flex:1;min-block-size:10rem;margin-inline:.75rem;resize:vertical}
.bkx-room__notes .bkx-room__hint,.bkx-room__notes-status{padding-inline:.75rem;margin-block:.4rem;font-size:.8rem;color:var(--bkx-room-muted)}
.bkx-room__notes-status[data-kind=retrying],.bkx-room__notes-status[data-kind=error],.bkx-room__notes-status[data-kind=conflict]{color:var(--bkx-room-poor)}
.bkx-room__notes-conflict{display:grid;gap:.4rem;padding:.75rem;border-block-start:1px solid #0008}
.bkx-room__notes-actions{display:flex;flex-wrap:wrap;gap:.4rem}
.bkx-room__subtitle{font-size:.9em;padding-block:.5rem 0;padding-inline:.75rem;color:var(--bkx-room-muted)}
.bkx-room__list{list-style:none;margin:0;padding-block:.4rem;padding-inline:.75rem;display:grid;gap:.5rem}
.bkx-room__person{display:flex;align-items:center;flex-wrap:wrap;gap:.4rem}
.bkx-room__person .bkx-room__name{margin-inline-end:auto}
.bkx-room__person .bkx-room__meta{flex-basis:100%}
.bkx-room__toast{position:absolute;inset-block-start:3.5rem;inset-inline:1rem;margin-inline:auto;max-inline-size:32rem;padding-block:.6rem;padding-inline:1rem;background:var(--bkx-room-surface);border-inline-start:4px solid var(--bkx-room-fair);border-radius:var(--bkx-room-radius);box-shadow:0 4px 16px #000a;z-index:4}
.bkx-room__end{align-items:center;justify-content:center;text-align:center}
@media (forced-colors:active){.bkx-room__quality i{forced-color-adjust:none;background:CanvasText}.bkx-room__control[aria-expanded=true],.bkx-room__control[aria-pressed=true]{outline:2px solid Highlight}}
`;

/**
 * Adds the stylesheet to `doc` unless it is there already.
 * @param doc The document.
 */
export function injectStyles( doc: Document ): void {
	if ( doc.getElementById( STYLE_ID ) ) {
		return;
	}
	const style = doc.createElement( 'style' );
	style.id = STYLE_ID;
	style.textContent = CSS;
	doc.head.append( style );
}
