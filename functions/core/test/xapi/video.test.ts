import { describe, expect, it } from 'vitest';
import {
  formatPlayedSegments,
  PlayedSegmentsError,
  PlayPairs,
  parsePlayedSegments,
  playedSeconds,
} from '../../src/xapi/video.ts';

describe('played-segments', () => {
  it('parses the profile format and sums lengths without merging overlaps', () => {
    // The xAPI Video Profile's own example form (adlnet/xapi-authored-profiles video/v1.0.3).
    const segments = parsePlayedSegments('0.000[.]12.000[,]14.000[.]21.000[,]5.5[.]10');
    expect(segments).toEqual([
      { start: 0, end: 12 },
      { start: 14, end: 21 },
      { start: 5.5, end: 10 },
    ]);
    expect(playedSeconds(segments)).toBe(12 + 7 + 4.5);
    expect(parsePlayedSegments('')).toEqual([]);
    expect(parsePlayedSegments(formatPlayedSegments(segments))).toEqual(segments);
  });

  it.each([
    ['0[.]12[,]oops', 'segment 2'],
    ['12[.]3', 'ends before it starts'],
    ['0[.]-3', 'not a number'],
    ['0[.]1[.]2', 'not "start[.]end"'],
    ['0,12', 'not "start[.]end"'],
  ])('rejects %s with a clear error', (text, message) => {
    expect(() => parsePlayedSegments(text)).toThrow(PlayedSegmentsError);
    expect(() => parsePlayedSegments(text)).toThrow(message);
  });
});

describe('PlayPairs', () => {
  it('sums played → paused pairs, closes an open play at terminated, and forgets the session', () => {
    const pairs = new PlayPairs();
    pairs.played('k', 10);
    pairs.paused('k', 25);
    pairs.paused('k', 30); // a pause while paused adds nothing
    pairs.played('k', 40);
    expect(pairs.terminated('k', 50)).toBe(25);
    expect(pairs.terminated('k', 50)).toBeUndefined();
  });

  it('a session with no play is undefined, not zero; initialized starts over', () => {
    const pairs = new PlayPairs();
    pairs.paused('k', 5);
    expect(pairs.terminated('k', 5)).toBeUndefined();
    pairs.played('k', 0);
    pairs.initialized('k');
    expect(pairs.terminated('k', 100)).toBeUndefined();
  });

  it('keeps at most maxOpenSessions, dropping the least recently touched', () => {
    const pairs = new PlayPairs(2);
    pairs.played('a', 0);
    pairs.played('b', 0);
    pairs.paused('a', 3); // a is now the most recent
    pairs.played('c', 0);
    expect(pairs.size).toBe(2);
    expect(pairs.terminated('b', 9)).toBeUndefined();
    expect(pairs.terminated('a', 9)).toBe(3);
    expect(() => new PlayPairs(0)).toThrow('at least 1');
  });
});
