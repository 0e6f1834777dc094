// Command 1 (`npm start`) starts a Jupyter server that lists the project's kernel.
import { spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function getJson(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { Authorization: `token ${token}` } }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

describe('scripts/start.js', () => {
  it('serves /api/kernelspecs listing the ELBO Lab TypeScript kernel', async () => {
    const port = await freePort();
    const token = 'elbo-lab-test-token';
    const server = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js'), '--no-browser', `--port=${port}`, '--ip=127.0.0.1'], {
      env: { ...process.env, JUPYTER_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    server.stdout.on('data', (d) => (log += d));
    server.stderr.on('data', (d) => (log += d));
    try {
      let answer: { status: number; body: string } | null = null;
      for (let attempt = 0; attempt < 120 && answer === null; attempt++) {
        await new Promise((r) => setTimeout(r, 250));
        answer = await getJson(`http://127.0.0.1:${port}/api/kernelspecs`, token).catch(() => null);
      }
      expect(answer, `server did not answer; its log:\n${log}`).not.toBeNull();
      expect(answer!.status).toBe(200);
      const specs = JSON.parse(answer!.body) as { kernelspecs: Record<string, { spec: { display_name: string; language: string; argv: string[] } }> };
      const kernel = specs.kernelspecs['elbo-lab'];
      expect(kernel.spec.display_name).toBe('TypeScript (ELBO Lab)');
      expect(kernel.spec.language).toBe('typescript');
      expect(kernel.spec.argv.slice(0, 2)).toEqual([process.execPath, path.join(ROOT, 'kernel', 'main.js')]);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  });
});
