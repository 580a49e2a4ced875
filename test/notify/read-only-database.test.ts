// A pipeline that declares a read-only database secret: notify's report queries connect with it (the
// role can only SELECT), and the secret is the one notify is granted; load still gets the full URL.
// Real PostgreSQL, Firestore and SMTP on the local cloud.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleNotify } from '../../functions/notify/handler';
import { stages } from '../../functions/stages';
import { secretsForStage } from '../../shared/stage-secrets';
import { stageHarness, startStageTestWorld, testPipeline, type StageTestWorld } from '../support/stage-test-context';

let world: StageTestWorld;
const role = `ro_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  world = await startStageTestWorld({ label: 'rod', database: true, smtp: true });
  await world.db.query('create table things (id int)');
  await world.db.query('insert into things values (1), (2), (3)');
  const password = randomBytes(12).toString('hex');
  await world.db.query(`create role ${role} login password '${password}'`);
  await world.db.query(`grant usage on schema ${world.schema.schema} to ${role}`);
  await world.db.query(`grant select on all tables in schema ${world.schema.schema} to ${role}`);
  const url = new URL(world.databaseUrl);
  url.username = role;
  url.password = password;
  await writeFile(path.join(world.secretsDir, 'ro-db-url'), url.toString());
});

afterAll(async () => {
  await world?.db.query(`drop owned by ${role}`).catch(() => undefined);
  await world?.db.query(`drop role if exists ${role}`).catch(() => undefined);
  await world?.stop();
});

describe('read-only database secret', () => {
  it('is what notify is granted and connects with; load keeps the full URL', async () => {
    const pipeline = testPipeline(world, {
      database: { url: { secret: 'db-url' }, readOnlyUrl: { secret: 'ro-db-url' }, schema: world.schema.schema },
      secrets: [...new Set(['sftp-password', 'db-url', 'smtp-url', 'ro-db-url', ...world.secretNames])],
      reports: [{ name: 'who', subject: 'Who', to: ['m@example.com'], queries: [{ title: 'Who', sql: 'select current_user as who, count(*) as n from things' }] }],
    });
    expect(secretsForStage(pipeline, stages.notify)).toContain('ro-db-url');
    expect(secretsForStage(pipeline, stages.notify)).not.toContain('db-url');
    expect(secretsForStage(pipeline, stages.load)).toContain('db-url');

    const h = await stageHarness(world, pipeline);
    const before = (await world.outbox()).length;
    const eventsBefore = h.events.length;
    await h.startRun('r-ro', [{ fileKey: 'fa', name: 'A.csv' }]);
    await h.runs.stageSucceeded('r-ro', 'fa', 'load', { rows: 3 });
    await h.context('aggregate').finishFile('r-ro', 'fa', 'loaded', { stage: 'aggregate' });
    const event = (await h.waitForEvents(eventsBefore + 1))[eventsBefore]!;
    await h.deliver('notify', handleNotify, event);
    const [file] = (await world.outbox()).slice(before);
    const mail = await simpleParser(await readFile(file!));
    expect(mail.attachments[0]!.content.toString('utf8')).toBe(`who,n\r\n${role},3\r\n`);
    await h.close();
  });

  it('must be listed in secrets', () => {
    expect(() => testPipeline(world, { database: { url: { secret: 'db-url' }, readOnlyUrl: { secret: 'not-listed' }, schema: 'x' } }))
      .toThrow(/database\.readOnlyUrl\.secret: secret "not-listed" is not listed in secrets/);
  });
});
