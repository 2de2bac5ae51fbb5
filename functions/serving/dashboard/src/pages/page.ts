import type { Child } from '../dom.ts';

/** What a page renders: its title (document title and heading) and content. */
export interface PageResult {
  title: string;
  content: Child[];
}
