/**
 * What of each course's content is published: per course and kind of content, the release times in
 * order, how many are out and when the next one is. Counts and next times of all courses sit in two
 * typed arrays: they are read on most steps, and as fields of each course's state the times would be
 * boxed numbers, one more object (cache miss) per read.
 */

// Kinds of released content.
export const VIDEOS = 0;
export const QUIZZES = 1;
export const ASSIGNMENTS = 2;
export const MATERIALS = 3;
const KINDS = 4;

export class ReleaseSchedule {
  private readonly times: Float64Array[] = [];
  private readonly out: Int32Array;
  private readonly next: Float64Array;

  /** `courses[c][kind]`: the release times of course c's content of that kind, ascending. */
  constructor(courses: readonly (readonly Float64Array[])[]) {
    for (const kinds of courses) {
      for (let k = 0; k < KINDS; k++) this.times.push(kinds[k]!);
    }
    this.out = new Int32Array(this.times.length);
    this.next = Float64Array.from(this.times, (t) => (t.length > 0 ? t[0]! : Number.POSITIVE_INFINITY));
  }

  /** How many of a course's items of a kind are released at `time` (time only moves forward). */
  released(course: number, kind: number, time: number): number {
    const at = course * KINDS + kind;
    if (time >= this.next[at]!) {
      const times = this.times[at]!;
      let n = this.out[at]!;
      while (n < times.length && times[n]! <= time) n++;
      this.out[at] = n;
      this.next[at] = n < times.length ? times[n]! : Number.POSITIVE_INFINITY;
    }
    return this.out[at]!;
  }
}
