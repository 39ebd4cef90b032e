// The runtime API (the worker's stats socket), for changes without reload.
//
// A batch of commands goes over one connection in prompt mode, pipelined:
// HAProxy answers each command followed by "\n> ", so the answers can be told
// apart and checked one by one. Commands with a payload (`<<`) end it with an
// empty line. Every answer is checked against what success looks like; the
// first failure fails the batch, and the caller falls back to a reload.

import { ident, type Safe } from './config-lines.js';
import { exchange } from './socket-cli.js';

export interface RuntimeCommand {
  /** One line, no payload marker. */
  text: string;
  /** Lines sent after `<<`, for commands that take a payload. */
  payload?: string;
  /** What a successful answer looks like; `empty` for commands that answer nothing. */
  expect: RegExp | 'empty';
}

export class RuntimeError extends Error {}

/** Payloads above this are refused: HAProxy silently drops payloads over its 16 KiB buffer. */
export const MAX_PAYLOAD_BYTES = 14 * 1024;
const MAX_BATCH = 1000;

/**
 * A CLI argument made of a checked token (config-lines.ts): `;` separates
 * commands unless escaped; whitespace never reaches here (the grammars refuse it).
 */
export function cliArg(value: Safe): string {
  const { text } = value;
  if (/[\s\\]/.test(text)) throw new RuntimeError(`refusing CLI argument ${JSON.stringify(text)}`);
  return text.replace(/;/g, '\\;');
}

/**
 * A map value made of a checked token (config-lines.ts) that may hold single
 * spaces between words (a CORS list as ingress-nginx writes it: `POST, GET`):
 * each space is escaped, so that the CLI reads one argument.
 */
export function cliValue(value: Safe): string {
  const { text } = value;
  if (!/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(text) || text.includes('\\')) throw new RuntimeError(`refusing CLI value ${JSON.stringify(text)}`);
  return text.replace(/;/g, '\\;').replace(/ /g, '\\ ');
}

/**
 * Several words already rendered by config-lines.ts (server options such as
 * `ssl verify none sni str(a.example)`), as CLI arguments: single spaces
 * between words, and nothing the CLI would read as a separator or escape.
 */
export function cliWords(value: Safe): string {
  const { text } = value;
  if (!/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(text) || /[;\\#'"]/.test(text)) throw new RuntimeError(`refusing CLI arguments ${JSON.stringify(text)}`);
  return text;
}

/** `backend/server`, as the server commands take it. */
export function serverArg(backend: string, server: string): string {
  return `${ident(backend).text}/${ident(server).text}`;
}

function encode(command: RuntimeCommand): string {
  if (/[\r\n]/.test(command.text)) throw new RuntimeError('a runtime command must be one line');
  if (command.payload === undefined) return `${command.text}\n`;
  if (Buffer.byteLength(command.payload) > MAX_PAYLOAD_BYTES) throw new RuntimeError(`payload of "${command.text.split(' ').slice(0, 3).join(' ')}" is too large for the runtime API`);
  if (/\n\s*\n/.test(command.payload.trim())) throw new RuntimeError('a runtime payload must not contain empty lines');
  return `${command.text} <<\n${command.payload.trim()}\n\n`;
}

export class RuntimeApi {
  constructor(
    private readonly socketPath: string,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Runs the commands in order; resolves with their answers, or rejects at the first unexpected one. */
  async run(commands: readonly RuntimeCommand[]): Promise<string[]> {
    const answers: string[] = [];
    for (let start = 0; start < commands.length; start += MAX_BATCH) {
      const batch = commands.slice(start, start + MAX_BATCH);
      const output = await exchange(this.socketPath, `prompt\n${batch.map(encode).join('')}quit\n`, this.timeoutMs, `${batch.length} runtime commands`);
      // The answer to `prompt` comes first; each answer is followed by "\n> ".
      const parts = output.split('\n> ').slice(1, batch.length + 1);
      if (parts.length < batch.length) throw new RuntimeError(`runtime API closed the connection after ${parts.length} of ${batch.length} commands`);
      batch.forEach((command, index) => {
        // Payload lines are answered with a "+ " prompt each, before the command's own answer.
        const answer = (parts[index] ?? '').replace(/^(\+ )+/, '').trim();
        const ok = command.expect === 'empty' ? answer === '' : command.expect.test(answer);
        if (!ok) throw new RuntimeError(`"${command.text}" failed: ${answer.split('\n')[0] || '(no answer)'}`);
        answers.push(answer);
      });
    }
    return answers;
  }

  async one(text: string, expect: RegExp | 'empty' = /[\s\S]*/): Promise<string> {
    return (await this.run([{ text, expect }]))[0] ?? '';
  }
}
