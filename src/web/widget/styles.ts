/**
 * The widget's styles. They live inside its Shadow DOM (a constructed stylesheet, so host pages'
 * CSS cannot reach in and strict Content-Security-Policies that forbid inline styles still allow it).
 */
export const WIDGET_CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.root { --accent: #4f46e5; --accent-text: #fff; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #111827; position: fixed; bottom: 20px; right: 20px; z-index: 2147483000; }
.root.left { right: auto; left: 20px; }
button { font: inherit; cursor: pointer; }
button:focus-visible, textarea:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.launcher { display: flex; align-items: center; gap: 8px; border: 0; border-radius: 28px; padding: 12px 18px;
  background: var(--accent); color: var(--accent-text); box-shadow: 0 6px 20px rgba(0,0,0,.2); position: relative; }
.launcher svg { width: 22px; height: 22px; fill: currentColor; }
.badge { position: absolute; top: -6px; right: -6px; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px;
  background: #dc2626; color: #fff; font-size: 12px; font-weight: 700; display: flex; align-items: center; justify-content: center; }
.badge[hidden] { display: none; }
.panel { position: absolute; bottom: 64px; right: 0; width: 380px; height: min(620px, calc(100vh - 110px)); background: #fff;
  border-radius: 16px; box-shadow: 0 12px 40px rgba(0,0,0,.25); display: flex; flex-direction: column; overflow: hidden; }
.root.left .panel { right: auto; left: 0; }
.panel[hidden] { display: none; }
header { display: flex; align-items: center; gap: 10px; padding: 14px 16px; background: var(--accent); color: var(--accent-text); }
header img { width: 32px; height: 32px; border-radius: 50%; object-fit: cover; background: rgba(255,255,255,.3); }
header h2 { margin: 0; font-size: 16px; flex: 1; }
header .close { background: transparent; border: 0; color: inherit; font-size: 22px; line-height: 1; padding: 4px 8px; }
.log { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 10px; background: #f9fafb; }
.msg { max-width: 85%; padding: 9px 13px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.visitor { align-self: flex-end; background: var(--accent); color: var(--accent-text); border-bottom-right-radius: 4px; }
.msg.assistant, .msg.agent, .msg.system { align-self: flex-start; background: #fff; border: 1px solid #e5e7eb; border-bottom-left-radius: 4px; }
.msg.pending { opacity: .6; }
.msg .who { display: flex; align-items: center; gap: 6px; font-size: 12px; color: #374151; font-weight: 600; margin-bottom: 4px; white-space: normal; }
.msg .initials { display: inline-grid; place-items: center; width: 22px; height: 22px; border-radius: 50%; background: var(--accent); color: var(--accent-text); font-size: 10px; }
.cites { margin: 8px 0 0; padding: 0; list-style: none; font-size: 13px; display: flex; flex-direction: column; gap: 4px; white-space: normal; }
.cites a, .cites span, .cites summary { color: #4338ca; }
.cites summary { cursor: pointer; }
.cites blockquote { margin: 4px 0; padding: 4px 8px; border-left: 3px solid #c7d2fe; color: #374151; background: #f9fafb; }
.files { margin-top: 6px; display: flex; flex-direction: column; gap: 4px; }
.files img { max-width: 200px; max-height: 160px; border-radius: 8px; }
.files a { color: inherit; }
.typing { align-self: flex-start; font-size: 13px; color: #6b7280; padding: 0 16px 6px; background: #f9fafb; }
.typing[hidden] { display: none; }
.notice { font-size: 13px; color: #991b1b; background: #fef2f2; padding: 6px 16px; }
.notice[hidden] { display: none; }
.actions { display: flex; gap: 8px; padding: 8px 12px 0; background: #fff; }
.human { border: 1px solid #d1d5db; background: #fff; border-radius: 16px; padding: 4px 12px; font-size: 13px; }
.csat { display: flex; align-items: center; gap: 4px; padding: 8px 12px 0; font-size: 12px; color: #374151; }
.csat span { margin-right: 4px; }
.csat[hidden] { display: none; }
.csat button { border: 1px solid #d1d5db; background: #fff; border-radius: 6px; padding: 1px 6px; font-size: 12px; }
.csat button[aria-pressed="true"] { background: var(--accent); color: var(--accent-text); }
form.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px 12px; background: #fff; border-top: 1px solid #e5e7eb; }
form.composer textarea { flex: 1; resize: none; border: 1px solid #d1d5db; border-radius: 10px; padding: 8px 10px; font: inherit;
  max-height: 120px; min-height: 40px; }
form.composer .icon { border: 0; background: transparent; padding: 8px; color: #4b5563; display: flex; }
form.composer .icon svg { width: 20px; height: 20px; fill: currentColor; }
form.composer .send { border: 0; border-radius: 10px; padding: 9px 14px; background: var(--accent); color: var(--accent-text); }
.prechat { display: flex; flex-direction: column; gap: 8px; padding: 16px; }
.prechat input { font: inherit; padding: 8px 10px; border: 1px solid #d1d5db; border-radius: 8px; }
.prechat .send { border: 0; border-radius: 10px; padding: 10px 14px; background: var(--accent); color: var(--accent-text); font-weight: 600; }
.prechat .human { align-self: center; }
.thanks { margin: 0; padding: 8px 12px 0; font-size: 13px; color: #065f46; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0,0,0,0); border: 0; }
@media (max-width: 480px) {
  .root, .root.left { bottom: 12px; right: 12px; left: auto; }
  .root.open { inset: 0; }
  .panel { position: fixed; inset: 0; width: 100%; height: 100%; border-radius: 0; }
  .root.open .launcher { display: none; }
}
`;
