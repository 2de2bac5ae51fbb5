/**
 * Watch time from xAPI Video Profile statements.
 *
 * A viewing session (initialized … terminated of one actor and video) becomes ONE VIDEO_WATCHED, emitted on
 * `terminated`: the profile's `played-segments` are cumulative over the session, so one event per session
 * counts each second once. The watch duration is the SUM of the segment lengths, not their union: the union
 * is coverage, while a rewatched part is watched twice (as in the native events, whose watch time can exceed
 * the video's length).
 *
 * When the terminating statement carries no `played-segments`, the duration comes from the `time` pairs the
 * mapper remembered for that actor, video and registration: played → paused / seeked (`time-from`) /
 * terminated. That memory is per process and bounded (`maxOpenSessions`, oldest session dropped first), so a
 * session whose statements reach different replicas, or that stays open while more than that many others
 * start, has no pairs and its terminated statement is counted unmapped.
 */

/** One played segment, in seconds from the start of the video. */
export interface Segment {
  start: number;
  end: number;
}

export class PlayedSegmentsError extends Error {
  override readonly name = 'PlayedSegmentsError';
}

const number = /^\d+(\.\d+)?$/;

/**
 * Parses `played-segments` (`"0.000[.]12.000[,]14.000[.]21.000"`: segments joined by `[,]`, each
 * `start[.]end` in seconds). The empty string is no segments. Throws PlayedSegmentsError naming the
 * offending part for anything else that does not follow the profile.
 */
export function parsePlayedSegments(text: string): Segment[] {
  if (text.trim() === '') return [];
  return text.split('[,]').map((part, index) => {
    const bounds = part.split('[.]');
    if (bounds.length !== 2) {
      throw new PlayedSegmentsError(`segment ${index + 1} "${part}" is not "start[.]end"`);
    }
    const [start, end] = bounds.map((bound) => bound.trim()) as [string, string];
    if (!number.test(start) || !number.test(end)) {
      throw new PlayedSegmentsError(
        `segment ${index + 1} "${part}" has a bound that is not a number of seconds`,
      );
    }
    const segment = { start: Number(start), end: Number(end) };
    if (segment.end < segment.start) {
      throw new PlayedSegmentsError(`segment ${index + 1} "${part}" ends before it starts`);
    }
    return segment;
  });
}

/** Total seconds played: the sum of the segment lengths (a rewatched part counts each time). */
export const playedSeconds = (segments: readonly Segment[]): number =>
  segments.reduce((sum, s) => sum + (s.end - s.start), 0);

/** Formats segments as the profile writes them (3 decimals), e.g. for the generator. */
export const formatPlayedSegments = (segments: readonly Segment[]): string =>
  segments.map((s) => `${s.start.toFixed(3)}[.]${s.end.toFixed(3)}`).join('[,]');

interface OpenSession {
  /** Video time the current play started at; undefined while paused. */
  playingFrom: number | undefined;
  watched: number;
  /** Whether any pair closed or any play started: distinguishes "no pairs seen" from zero seconds. */
  seen: boolean;
}

/** The default bound of remembered sessions per process. */
export const defaultMaxOpenSessions = 10_000;

/**
 * The played → paused / seeked / terminated `time` pairs of open sessions, keyed by actor, video and
 * registration. Bounded: beyond `maxOpenSessions` the least recently touched session is forgotten.
 */
export class PlayPairs {
  private readonly sessions = new Map<string, OpenSession>();

  constructor(readonly maxOpenSessions = defaultMaxOpenSessions) {
    if (!(maxOpenSessions >= 1)) throw new Error('PlayPairs: maxOpenSessions must be at least 1');
  }

  get size(): number {
    return this.sessions.size;
  }

  private touch(key: string): OpenSession {
    let session = this.sessions.get(key);
    if (session) this.sessions.delete(key);
    else session = { playingFrom: undefined, watched: 0, seen: false };
    this.sessions.set(key, session);
    while (this.sessions.size > this.maxOpenSessions) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    return session;
  }

  private close(session: OpenSession, at: number): void {
    if (session.playingFrom !== undefined && at >= session.playingFrom)
      session.watched += at - session.playingFrom;
    session.playingFrom = undefined;
  }

  /** `initialized`: a new session starts (forgets an earlier one under the same key). */
  initialized(key: string): void {
    this.sessions.delete(key);
    this.touch(key);
  }

  played(key: string, time: number): void {
    const session = this.touch(key);
    this.close(session, time);
    session.playingFrom = time;
    session.seen = true;
  }

  paused(key: string, time: number): void {
    const session = this.touch(key);
    this.close(session, time);
  }

  /** A seek while playing ends the played segment at `from` and, playback continuing, starts one at `to`. */
  seeked(key: string, from: number, to: number): void {
    const session = this.touch(key);
    if (session.playingFrom === undefined) return;
    this.close(session, from);
    session.playingFrom = to;
  }

  /** `terminated`: the session's total played seconds (an open play closed at `time`), and the session is forgotten; undefined when no play was seen. */
  terminated(key: string, time: number | undefined): number | undefined {
    const session = this.sessions.get(key);
    this.sessions.delete(key);
    if (!session?.seen) return undefined;
    if (time !== undefined) this.close(session, time);
    return session.watched;
  }
}
