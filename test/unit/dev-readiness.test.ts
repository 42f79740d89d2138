import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotHealthyError, portTaken, waitUntilHealthy } from '../../src/dev/readiness';

/** The launcher's checks of the API's port and /health, against small local servers. */

let server: Server;
let port: number;
let status = 404;

beforeAll(async () => {
  server = createServer((_request, response) => response.writeHead(status).end('{}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server.close();
});

test('a port something listens on is taken; a free one is not', async () => {
  expect(await portTaken('127.0.0.1', port)).toBe(true);
  const free = createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const freePort = (free.address() as AddressInfo).port;
  await new Promise((resolve) => free.close(resolve));
  expect(await portTaken('127.0.0.1', freePort)).toBe(false);
});

test('an answer other than 200 ends the wait with a one-line error that says what answered', async () => {
  status = 404;
  const waiting = waitUntilHealthy(`http://127.0.0.1:${port}`, { timeoutMs: 1000, intervalMs: 100 });
  await expect(waiting).rejects.toThrow(NotHealthyError);
  await expect(waiting).rejects.toThrow(
    `the API did not answer http://127.0.0.1:${port}/health with 200: none within 1 s (the last answer was 404)`,
  );
});

test('gives up at once with the reason, and resolves on 200', async () => {
  status = 503;
  await expect(
    waitUntilHealthy(`http://127.0.0.1:${port}`, { timeoutMs: 60_000, givenUp: () => 'the API exited with code 1' }),
  ).rejects.toThrow('the API did not answer http://127.0.0.1:' + port + '/health with 200: the API exited with code 1');
  status = 200;
  await expect(waitUntilHealthy(`http://127.0.0.1:${port}`, { timeoutMs: 1000 })).resolves.toBeUndefined();
});
