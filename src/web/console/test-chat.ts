import { Router, type Request, type Response } from 'express';
import { html } from '../html';
import { contextOf, sendPage } from '../layout';
import { consoleUser } from './request';

/**
 * The test chat: the organization's own widget on a console page, so a member can ask the assistant
 * before installing it anywhere. It is the real widget on the real turn path (Parley's own origin is
 * always allowed), so what it answers here is what visitors get.
 */
export function testChatRouter(): Router {
  const router = Router();

  router.get('/try', (req: Request, res: Response) => {
    const { organization } = consoleUser(res);
    const ctx = contextOf(req, res);
    sendPage(req, res, {
      title: 'Try the assistant',
      main: html`<div class="page-header"><h1>Try the assistant</h1></div>
        <section class="card">
          <p>
            Open the chat in the corner and ask what your customers ask. This is your widget, answering from
            your documents exactly as it will on your site, with its look from
            <a href="/console/settings">Settings</a>.
          </p>
          <p class="muted">
            A test conversation is a real one: it is listed in
            <a href="/console/conversations">Conversations</a>, can be handed to a person, and its answers
            count towards the month’s answered messages.
          </p>
        </section>
        <script src="${ctx.publicUrl}/widget.js" data-key="${organization.widgetKey}" async></script>`,
    });
  });

  return router;
}
