import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../../app/app.ts';

const registry = buildRegistry();

describe('command registry', () => {
  it('resolves one-word commands and leaves the rest', () => {
    const { command, rest } = registry.resolve(['who-can', 'audit.read']);
    expect(command.name).toBe('who-can');
    expect(rest).toEqual(['audit.read']);
  });

  it('is case-insensitive on the command word', () => {
    expect(registry.resolve(['WHOAMI']).command.name).toBe('whoami');
  });

  it('suggests the nearest command for a typo', () => {
    expect(() => registry.resolve(['whomai'])).toThrow(
      'unknown command "whomai"; did you mean "whoami"? Type "help" for the list.',
    );
    expect(() => registry.resolve(['zzzzzzzz'])).toThrow(
      'unknown command "zzzzzzzz" Type "help" for the list.',
    );
  });

  it("suggests a group's word for a typo of it, and lists a group's commands", () => {
    expect(() => registry.resolve(['relese'])).toThrow('unknown command "relese"; did you mean "release"?');
    expect(registry.group('Task').map((c) => c.name)).toEqual([
      'task cancel',
      'task list',
      'task logs',
      'task run',
      'task runs',
      'task status',
    ]);
    expect(registry.group('scale')).toEqual([]);
  });

  it('catalogs the actions the commands check', () => {
    expect(registry.catalog.all().map((a) => a.action)).toEqual(
      expect.arrayContaining(['access.read', 'audit.read']),
    );
  });
});
