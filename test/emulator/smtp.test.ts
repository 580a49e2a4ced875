import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../emulator/smtp-server';
import type { SmtpServer } from '../../emulator/smtp-server';

// Real SMTP server on loopback, real nodemailer client, real mailparser reading the stored file.

let workDir: string;
let server: SmtpServer;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-smtp-test-'));
  // The outbox does not exist yet: the server creates it.
  server = await startSmtpServer({ outboxDir: path.join(workDir, 'outbox') });
});

afterAll(async () => {
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('SMTP server', () => {
  it('stores a mail with an HTML body and a CSV attachment as an .eml file', async () => {
    const transport = nodemailer.createTransport({
      host: server.host,
      port: server.port,
      secure: false,
      auth: { user: 'pipeline', pass: 'anything' },
    });
    const csv = 'id,amount\n1,9.50\n2,12.00\n';
    await transport.sendMail({
      from: 'Sluice <pipelines@sluice.local>',
      to: 'finance@example.com',
      bcc: 'audit@example.com',
      subject: 'Daily orders – 2026-11-22',
      html: '<h1>Orders</h1><p>2 rows loaded.</p>',
      attachments: [{ filename: 'orders.csv', content: csv, contentType: 'text/csv' }],
    });
    transport.close();

    const [file] = await server.waitForMessages(1);
    expect(file).toBeDefined();
    expect(path.dirname(file!)).toBe(server.outboxDir);
    expect(path.basename(file!)).toMatch(/^\d{8}T\d{6}\.\d{3}Z-\d{6}-[0-9a-f]{8}\.eml$/);

    const mail = await simpleParser(await readFile(file!));
    expect(mail.subject).toBe('Daily orders – 2026-11-22');
    expect(mail.html).toContain('<h1>Orders</h1><p>2 rows loaded.</p>');
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]?.filename).toBe('orders.csv');
    expect(mail.attachments[0]?.contentType).toBe('text/csv');
    expect(mail.attachments[0]?.content.toString('utf8')).toBe(csv);
    // The envelope (with the Bcc recipient) is kept as headers.
    expect(mail.headers.get('x-sluice-envelope-to')).toContain('audit@example.com');
  });

  it('accepts mail without authentication and keeps messages in arrival order', async () => {
    const before = (await server.waitForMessages(0)).length;
    const transport = nodemailer.createTransport({ host: server.host, port: server.port, secure: false });
    for (const n of [1, 2, 3]) {
      await transport.sendMail({ from: 'a@sluice.local', to: 'b@example.com', subject: `note ${n}`, text: `body ${n}` });
    }
    transport.close();

    const files = await server.waitForMessages(before + 3);
    const latest = files.slice(before);
    const subjects = await Promise.all(latest.map(async (f) => (await simpleParser(await readFile(f))).subject));
    expect(subjects).toEqual(['note 1', 'note 2', 'note 3']);
    // File names sort in arrival order, and only finished .eml files are in the outbox.
    const listed = (await readdir(server.outboxDir)).sort();
    expect(listed).toEqual(files.map((f) => path.basename(f)));
  });

  it('rejects waitForMessages when the messages do not come in time', async () => {
    const count = (await server.waitForMessages(0)).length;
    await expect(server.waitForMessages(count + 1, 50)).rejects.toThrow(/within 50 ms/);
  });
});
