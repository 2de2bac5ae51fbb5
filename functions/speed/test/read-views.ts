import { type SpeedViewDefinition, speedRows, speedTable, speedViews, type ViewStore } from '@ula/core';
import { actualViews, type Expected, windowsOf } from './oracle.ts';

const viewNamed = (name: string): SpeedViewDefinition => {
  const view = speedViews.find((v) => v.name === name);
  if (!view) throw new Error(`no speed view ${name}`);
  return view;
};

/** Reads back, through the store's speedGroups, every window the oracle mentions (plus `extra` ones). */
export async function readViews(
  store: ViewStore,
  expected: Expected,
  extra: Map<string, number[]> = new Map(),
): Promise<Expected> {
  const windows = windowsOf(expected);
  for (const [view, starts] of extra) {
    const set = windows.get(view) ?? new Set<number>();
    for (const s of starts) set.add(s);
    windows.set(view, set);
  }
  const rowsByView = new Map<string, Record<string, unknown>[]>();
  for (const [name, starts] of windows) {
    const view = viewNamed(name);
    const table = speedTable(view);
    const rows: Record<string, unknown>[] = [];
    for (const start of starts) rows.push(...speedRows(view, await store.speedGroups(table, start)));
    rowsByView.set(name, rows);
  }
  return actualViews(rowsByView, (name) => Object.keys(viewNamed(name).keys));
}

/** Sorted entries, for readable `toEqual` diffs. */
export const sorted = (m: Expected) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
