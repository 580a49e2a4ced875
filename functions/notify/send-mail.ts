// Sends one mail over SMTP with nodemailer. The SMTP URL is a secret: it is used to connect and never
// appears in a log line, an error or a mail; failures are described by their SMTP code only.
import nodemailer from 'nodemailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport';
import { PermanentError } from '../../shared/errors';
import { redact } from '../../shared/redact';
import { describeSmtpFailure } from './smtp-errors';

export interface OutgoingMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  // Deterministic (`<runId.report@sluice>`), so a resend after a crash is recognisably the same mail.
  messageId: string;
  attachments?: Array<{ filename: string; content: string; contentType: string }>;
}

export interface SentMail {
  messageId: string;
  accepted: string[];
}

// Short timeouts: a function instance waiting on a dead server should fail and be retried by Pub/Sub.
const TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 };

export async function sendMail(smtpUrl: string, mail: OutgoingMail): Promise<SentMail> {
  if (!/^smtps?:\/\//i.test(smtpUrl)) throw new PermanentError('the SMTP URL secret is not an smtp:// or smtps:// URL');
  let transport: nodemailer.Transporter<SMTPTransport.SentMessageInfo>;
  try {
    // The transport parses the URL itself and merges our timeouts with what it says.
    transport = nodemailer.createTransport(new SMTPTransport({ url: smtpUrl, ...TIMEOUTS }));
  } catch {
    throw new PermanentError('the SMTP URL secret is not a valid smtp:// or smtps:// URL');
  }
  try {
    // The last stop before the wire: whatever a renderer put in (an error quoting a secret, a query
    // result), no secret value or credential-shaped text leaves in a mail.
    const info = await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: redact(mail.subject),
      text: redact(mail.text),
      html: redact(mail.html),
      messageId: mail.messageId,
      attachments: mail.attachments?.map((a) => ({ filename: a.filename, content: redact(a.content), contentType: a.contentType })),
    });
    return { messageId: mail.messageId, accepted: (info.accepted ?? []).map(String) };
  } catch (error) {
    throw describeSmtpFailure(error);
  } finally {
    transport.close();
  }
}
