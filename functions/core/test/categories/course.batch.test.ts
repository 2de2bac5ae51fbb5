import { describe, expect, it } from 'vitest';
import { at, computeViews, ev } from '../batch-support.ts';

const range = { from: '2026-03-01', to: '2026-03-03' };
const download = (user: string, material: string, type: string, time = '2026-03-02T10:00') =>
  ev('DOWNLOAD_MATERIAL', time, user, { course_id: 'COURSE001', material_id: material, material_type: type });

describe('course batch views (given events → expected rows)', () => {
  it('material access and popularity read DOWNLOAD_MATERIAL with material_id and material_type', async () => {
    const events = [
      download('SV001', 'MAT1', 'pdf', '2026-03-01T10:00'),
      download('SV001', 'MAT1', 'pdf', '2026-03-02T10:00'),
      download('SV002', 'MAT2', 'slides'),
    ];
    const rows = await computeViews(
      'course',
      events,
      ['course_material_access', 'course_material_popularity', 'course_resource_download_stats'],
      range,
    );
    expect(rows['course_material_access']).toEqual([
      {
        user_id: 'SV001',
        course_id: 'COURSE001',
        total_material_accesses: 2,
        unique_materials_accessed: 1,
        first_access: at('2026-03-01T10:00'),
        last_access: at('2026-03-02T10:00'),
      },
      {
        user_id: 'SV002',
        course_id: 'COURSE001',
        total_material_accesses: 1,
        unique_materials_accessed: 1,
        first_access: at('2026-03-02T10:00'),
        last_access: at('2026-03-02T10:00'),
      },
    ]);
    expect(rows['course_material_popularity']).toEqual([
      {
        course_id: 'COURSE001',
        material_id: 'MAT1',
        material_type: 'pdf',
        unique_accessors: 1,
        total_accesses: 2,
      },
      {
        course_id: 'COURSE001',
        material_id: 'MAT2',
        material_type: 'slides',
        unique_accessors: 1,
        total_accesses: 1,
      },
    ]);
    expect(rows['course_resource_download_stats']).toEqual([
      { course_id: 'COURSE001', resource_id: 'MAT1', unique_downloaders: 1, total_download_count: 2 },
      { course_id: 'COURSE001', resource_id: 'MAT2', unique_downloaders: 1, total_download_count: 1 },
    ]);
  });

  it('course_overall_metrics counts students only in unique_students_interacting', async () => {
    const events = [
      ev('COURSE_ENROLLED', '2026-03-02T08:00', 'SV001', { course_id: 'COURSE001' }),
      ev('COURSE_VIEW', '2026-03-02T09:00', 'GV001', { course_id: 'COURSE001' }),
      ev('COURSE_DROPPED', '2026-03-02T10:00', 'SV001', { course_id: 'COURSE001' }),
    ];
    const rows = await computeViews(
      'course',
      events,
      ['course_overall_metrics', 'course_enrollment_stats'],
      range,
    );
    expect(rows['course_overall_metrics']).toEqual([
      {
        course_id: 'COURSE001',
        total_enrollments: 1,
        total_drops: 1,
        total_course_views: 1,
        total_material_accesses: 0,
        total_downloads: 0,
        unique_students_interacting: 1,
      },
    ]);
    expect(rows['course_enrollment_stats']).toEqual([
      { date: '2026-03-02', course_id: 'COURSE001', new_enrollments: 1, unique_new_students: 1, drops: 1 },
    ]);
  });
});
