// A mail as a delivery: the one way report and alert mails are sent, so they share deliver-all's
// claim → send → record. The SMTP URL is a secret, read once per handler call and only when a mail is
// actually sent.
import type { StageContext } from '../../../runtime/context';
import { sendMail, type OutgoingMail } from '../../send-mail';
import type { Delivery } from '../destination';

export type SmtpUrl = () => Promise<string>;

export function smtpUrlOf(ctx: Pick<StageContext, 'pipeline' | 'secrets'>): SmtpUrl {
  let url: Promise<string> | undefined;
  return () => (url ??= ctx.secrets.read(ctx.pipeline.mail.smtpUrl.secret).catch((error: unknown) => {
    url = undefined; // a failed read is tried again by the next mail
    throw error;
  }));
}

// `mail` may be filled in by `prepare` (a report's queries): it is read when the mail is sent.
export function mailDelivery(key: string, describe: string, mail: () => OutgoingMail, smtp: SmtpUrl, prepare?: () => Promise<void>): Delivery {
  return {
    key,
    describe,
    ...(prepare ? { prepare } : {}),
    async deliver() {
      const outgoing = mail();
      const sent = await sendMail(await smtp(), outgoing);
      return { messageId: sent.messageId, to: outgoing.to.join(', '), attachments: outgoing.attachments?.length ?? 0 };
    },
  };
}
