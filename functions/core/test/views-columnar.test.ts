import { describe, expect, it } from 'vitest';
import { avg, count, countDistinct, earliest, latest, max, min, sum } from '../src/views/aggregates.ts';
import type { Row } from '../src/views/columns.ts';
import { defineBatchView } from '../src/views/define.ts';
import {
  addInput,
  Dictionary,
  decodeAggregation,
  encodeAggregation,
  finishRows,
  mergeAggregation,
  newAggregation,
  unmergeAggregation,
} from '../src/views/engine.ts';
import { localCalendar } from '../src/views/time.ts';

/** Inputs of a small synthetic view: three keys, one possibly missing, values possibly missing. */
interface Input {
  a: string;
  b: number;
  c: string | undefined;
  v: number | undefined;
  m: string;
}

const view = defineBatchView({
  name: 'columnar_test',
  job: 'auth',
  doc: 'test view',
  sources: ['auth'],
  period: 'all',
  keys: {
    a: { type: 'text', value: (i) => (i as unknown as Input).a },
    b: { type: 'int', value: (i) => (i as unknown as Input).b },
    c: { type: 'text', value: (i) => (i as unknown as Input).c },
  },
  partitionKey: ['a'],
  metrics: {
    n: count(),
    n_big: count({ where: (i) => ((i as unknown as Input).v ?? 0) > 50 }),
    total: sum((i) => (i as unknown as Input).v),
    mean: avg((i) => (i as unknown as Input).v),
    low: min((i) => (i as unknown as Input).v),
    high: max((i) => (i as unknown as Input).v),
    first: earliest((i) => (i as unknown as Input).v),
    last: latest((i) => (i as unknown as Input).v),
    members: countDistinct((i) => (i as unknown as Input).m),
  },
});

/** A deterministic pseudo-random stream (xorshift). */
function inputs(seed: number, n: number): Input[] {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  return Array.from({ length: n }, () => ({
    a: `a${Math.floor(next() * 40)}`,
    b: Math.floor(next() * 30),
    c: next() < 0.05 ? undefined : `c${Math.floor(next() * 3)}`,
    v: next() < 0.1 ? undefined : Math.round(next() * 1000) / 10,
    m: `m${Math.floor(next() * 200)}`,
  }));
}

/** The obviously-correct computation: plain objects per group. */
function reference(all: Input[]): Row[] {
  const groups = new Map<string, { keys: Row; rows: Input[] }>();
  for (const i of all) {
    if (i.c === undefined) continue;
    const id = `${i.a}|${i.b}|${i.c}`;
    const g = groups.get(id) ?? { keys: { a: i.a, b: i.b, c: i.c }, rows: [] };
    g.rows.push(i);
    groups.set(id, g);
  }
  return [...groups.values()].map(({ keys, rows }) => {
    const vs = rows.map((r) => r.v).filter((v): v is number => v !== undefined);
    const total = vs.reduce((s, v) => s + v, 0);
    return {
      ...keys,
      n: rows.length,
      n_big: rows.filter((r) => (r.v ?? 0) > 50).length,
      total,
      mean: vs.length === 0 ? null : total / vs.length,
      low: vs.length === 0 ? null : Math.min(...vs),
      high: vs.length === 0 ? null : Math.max(...vs),
      first: vs.length === 0 ? null : Math.min(...vs),
      last: vs.length === 0 ? null : Math.max(...vs),
      members: new Set(rows.map((r) => r.m)).size,
    };
  });
}

const context = { calendar: localCalendar('UTC') };
const canonical = (rows: Row[]) =>
  rows
    .map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v]),
      ),
    )
    .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

describe('column-wise aggregation', () => {
  it('gives every value one dense id, long strings (session ids) and short ones alike', () => {
    const dictionary = new Dictionary();
    const values = [
      'SV001',
      'a22ec799-f002-464b-87bd-059991704cc7',
      7,
      'SV002',
      'b33fd8aa-0013-475c-98ce-16aa02815dd8',
    ];
    const ids = values.map((v) => dictionary.intern(v));
    expect(ids).toEqual([0, 1, 2, 3, 4]);
    // The same values again (fresh string objects) get the same ids.
    expect(values.map((v) => dictionary.intern(typeof v === 'string' ? ` ${v}`.slice(1) : v))).toEqual(ids);
    expect(values.map((v) => dictionary.idOf(v))).toEqual(ids);
    expect(ids.map((id) => dictionary.value(id))).toEqual(values);
    expect(dictionary.idOf('c44fe9bb-0024-486d-a9df-27bb13926eea')).toBe(-1);
    expect(dictionary.size).toBe(5);
  });

  it('matches a plain computation after growth, encode/decode, merges and an unmerge', () => {
    const days = [inputs(7, 3000), inputs(11, 2500), inputs(13, 2800)];
    // Day partials built separately (the last with a dictionary of its own, so its ids are translated),
    // one round-tripped through its stored form into another dictionary, then merged.
    const partials = days.map((day, i) => {
      const aggregation = newAggregation(view, i === 2 ? new Dictionary() : undefined);
      for (const input of day) addInput(aggregation, input, context);
      return aggregation;
    });
    const all = newAggregation(view);
    mergeAggregation(all, decodeAggregation(view, encodeAggregation(partials[0]!), new Dictionary()));
    mergeAggregation(all, partials[1]!);
    mergeAggregation(all, partials[2]!);
    expect(canonical(finishRows(all))).toEqual(canonical(reference(days.flat())));

    // Stored and loaded again: the same rows.
    const loaded = decodeAggregation(view, encodeAggregation(all));
    expect(canonical(finishRows(loaded))).toEqual(canonical(finishRows(all)));

    // A recomputed day: its old partial taken out (invertible columns), a superset merged in.
    const grown = [...days[1]!, ...inputs(17, 400)];
    const recomputed = newAggregation(view);
    for (const input of grown) addInput(recomputed, input, context);
    unmergeAggregation(loaded, partials[1]!);
    mergeAggregation(loaded, recomputed);
    expect(canonical(finishRows(loaded))).toEqual(canonical(reference([...days[0]!, ...grown, ...days[2]!])));
  });

  it('removed groups are neither found, finished nor stored, and come back fresh', () => {
    const aggregation = newAggregation(view);
    const first = inputs(23, 2000);
    for (const input of first) addInput(aggregation, input, context);
    const target = first.find((i) => i.c !== undefined)!;
    const group = aggregation.findKeys({ a: target.a, b: target.b, c: target.c! });
    expect(group).toBeGreaterThanOrEqual(0);
    const before = aggregation.live;
    aggregation.remove(group);
    expect(aggregation.live).toBe(before - 1);
    expect(aggregation.findKeys({ a: target.a, b: target.b, c: target.c! })).toBe(-1);
    const rest = first.filter((i) => !(i.a === target.a && i.b === target.b && i.c === target.c));
    expect(canonical(finishRows(decodeAggregation(view, encodeAggregation(aggregation))))).toEqual(
      canonical(reference(rest)),
    );
    // The same grain again starts from empty states, not from the removed group's.
    addInput(aggregation, target, context);
    expect(canonical(finishRows(aggregation))).toEqual(canonical(reference([...rest, target])));
  });
});
