/**
 * `resprune`: visual-token pruning from the command line. Each sub-command lives in
 * src/commands/ and returns its exit code (0 ok, 2 bad input, 1 internal error).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { CliIO, Command } from './io.js';

const COMMANDS: Record<string, { readonly summary: string; readonly load: () => Promise<Command> }> = {
  image: {
    summary: 'prune the visual tokens of a real photo (MobileNetV2 24x24 grid) and show what was kept',
    load: async () => (await import('./commands/image.js')).imageCommand,
  },
  layout: {
    summary: 'visual token layout of a backbone (config.json) for one or more image sizes',
    load: async () => (await import('./commands/layout.js')).layoutCommand,
  },
  select: {
    summary: 'select visual tokens from .npy files: --visual V.npy [--text T.npy] (--keep|--ratio|--energy)',
    load: async () => (await import('./commands/select.js')).selectCommand,
  },
};

/** Sub-commands contributed by other packages' work, loaded only when present in this build. */
const OPTIONAL: Record<string, { readonly summary: string; readonly module: string; readonly exportName: string }> = {
  generate: { summary: 'run an LVLM checkpoint with pruning and report what it saved', module: './commands/generate.js', exportName: 'generateCommand' },
  embed: { summary: "prune an LVLM's visual tokens and write the LLM's input (inputs_embeds, position ids) for another engine", module: './commands/embed.js', exportName: 'embedCommand' },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const rows = [
    ...Object.entries(COMMANDS).map(([name, c]) => [name, c.summary] as const),
    ...Object.entries(OPTIONAL).map(([name, c]) => [name, c.summary] as const),
  ];
  return [
    'Usage: resprune <command> [options]',
    '',
    'Commands:',
    ...rows.map(([name, summary]) => `  ${name.padEnd(10)}${summary}`),
    '',
    'Run `resprune <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

/** Runs the CLI on argv (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  // tfjs prints advice banners ("install tfjs-node") through its logger; stdout/stderr belong to the
  // command's contract, so keep them quiet unless RESPRUNE_DEBUG is set.
  if (process.env['RESPRUNE_DEBUG'] === undefined) tf.enableProdMode();
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a usage error: one line on stderr, stdout stays empty.
    io.stderr(`resprune: E_INVALID_OPTION: no command given; expected one of ${[...Object.keys(COMMANDS), ...Object.keys(OPTIONAL)].join(', ')} (resprune --help describes them)\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${version()}\n`);
    return 0;
  }
  const builtin = COMMANDS[name];
  if (builtin !== undefined) return (await builtin.load())(rest, io);
  const optional = OPTIONAL[name];
  if (optional !== undefined) {
    const mod = (await import(optional.module)) as Record<string, Command>;
    const command = mod[optional.exportName];
    if (command !== undefined) return command(rest, io);
  }
  io.stderr(`resprune: E_INVALID_OPTION: unknown command "${name}"; expected one of ${[...Object.keys(COMMANDS), ...Object.keys(OPTIONAL)].join(', ')}\n`);
  return 2;
}
