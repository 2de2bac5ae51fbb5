/**
 * Batch views of the course job (the older system's job 4). Material access = DOWNLOAD_MATERIAL (the only material
 * event produced; the older system (docs/architecture.md#the-older-system) filtered
 * ACCESS_COURSE_MATERIAL/DOWNLOAD_RESOURCE and read resource_id, which never exist). `resource_id` columns hold the event's material_id.
 */
import type { LmsEvent } from '../../events/envelope.ts';
import { type EventNamed, type EventOf, type EventTypeName, isEvent } from '../../events/typed.ts';
import { count, countDistinct, earliest, latest } from '../../views/aggregates.ts';
import { defineBatchView, defineBatchViewProjection, eventMs, key } from '../../views/define.ts';

/** Every course event; `course_daily_interactions` also reads the assessment and video events naming a course. */
type CourseEvent = EventTypeName<'course'>;
type Download = EventNamed<'DOWNLOAD_MATERIAL'>;
const isDownload = isEvent('DOWNLOAD_MATERIAL');
const isEnrol = isEvent('COURSE_ENROLLED');
const isDrop = isEvent('COURSE_DROPPED');
const isStudent = (e: LmsEvent) => e.data.role === 'student';
const courseOf = (e: EventOf<'course' | 'assessment' | 'video'>) => e.data.course_id;
const materialOf = (e: Download) => e.data.material_id;
const userOf = (e: LmsEvent) => e.data.user_id;
const user = key.text<LmsEvent>(userOf);
const course = key.text<EventOf<'course' | 'assessment' | 'video'>>(courseOf);
const studentDownload = (e: LmsEvent): e is Download => isDownload(e) && isStudent(e);

export const courseEnrollmentStats = defineBatchView<CourseEvent>({
  name: 'course_enrollment_stats',
  job: 'course',
  doc: 'Per local date and course: enrolment events, distinct students enrolling, and drops.',
  sources: ['course'],
  where: (e) => (isEnrol(e) || isDrop(e)) && isStudent(e),
  period: 'day',
  keys: { course_id: course },
  partitionKey: ['date'],
  metrics: {
    new_enrollments: count({ where: isEnrol }),
    unique_new_students: countDistinct(userOf, { where: isEnrol }),
    drops: count({ where: isDrop, doc: 'COURSE_DROPPED events' }),
  },
});

export const courseMaterialAccess = defineBatchView<'DOWNLOAD_MATERIAL'>({
  name: 'course_material_access',
  job: 'course',
  doc: 'Per student and course: material downloads, distinct materials, first and last access.',
  sources: ['course'],
  where: studentDownload,
  period: 'all',
  keys: { user_id: user, course_id: course },
  partitionKey: ['user_id'],
  metrics: {
    total_material_accesses: count(),
    unique_materials_accessed: countDistinct(materialOf),
    first_access: earliest(eventMs),
    last_access: latest(eventMs),
  },
});

export const courseMaterialPopularity = defineBatchView<'DOWNLOAD_MATERIAL'>({
  name: 'course_material_popularity',
  job: 'course',
  doc: 'Per course, material and material type: distinct students and downloads.',
  sources: ['course'],
  where: studentDownload,
  period: 'all',
  keys: {
    course_id: course,
    material_id: key.text(materialOf),
    material_type: key.text((e) => e.data.material_type),
  },
  partitionKey: ['course_id'],
  metrics: {
    unique_accessors: countDistinct(userOf),
    total_accesses: count(),
  },
});

export const courseDownloadAnalytics = defineBatchViewProjection(courseMaterialAccess, {
  name: 'course_download_analytics',
  doc: 'Per student and course: downloads and distinct materials downloaded.',
  partitionKey: ['user_id'],
  metrics: {
    total_downloads: 'total_material_accesses',
    unique_resources_downloaded: 'unique_materials_accessed',
  },
});

export const courseResourceDownloadStats = defineBatchView<'DOWNLOAD_MATERIAL'>({
  name: 'course_resource_download_stats',
  job: 'course',
  doc: 'Per course and material (resource_id = material_id): distinct downloaders and downloads.',
  sources: ['course'],
  where: studentDownload,
  period: 'all',
  keys: { course_id: course, resource_id: key.text(materialOf, 'material_id of the download') },
  partitionKey: ['course_id'],
  metrics: {
    unique_downloaders: countDistinct(userOf),
    total_download_count: count(),
  },
});

export const courseActivitySummary = defineBatchView<CourseEvent>({
  name: 'course_activity_summary',
  job: 'course',
  doc: 'Per student: courses enrolled, material accesses (downloads), courses with downloads, item clicks.',
  sources: ['course'],
  where: isStudent,
  period: 'all',
  keys: { user_id: user },
  partitionKey: ['user_id'],
  metrics: {
    courses_enrolled: countDistinct(courseOf, { where: isEnrol }),
    total_material_accesses: count({ where: isDownload }),
    courses_with_material_access: countDistinct(courseOf, { where: isDownload }),
    total_downloads: count({ where: isDownload }),
    total_item_clicks: count({ where: isEvent('ITEM_CLICK') }),
  },
});

export const courseDailyEngagement = defineBatchView<CourseEvent>({
  name: 'course_daily_engagement',
  job: 'course',
  doc: 'Per local date, course and event type: distinct users (both roles), distinct students, events.',
  sources: ['course'],
  period: 'day',
  keys: { course_id: course, event_type: key.text((e) => e.eventType) },
  partitionKey: ['date'],
  metrics: {
    unique_users: countDistinct(userOf),
    unique_students: countDistinct(userOf, { where: isStudent }),
    event_count: count(),
  },
});

export const courseOverallMetrics = defineBatchView<CourseEvent>({
  name: 'course_overall_metrics',
  job: 'course',
  doc: 'Per course: enrolments, drops, views, material downloads and distinct students interacting (teachers excluded).',
  sources: ['course'],
  period: 'all',
  keys: { course_id: course },
  partitionKey: ['course_id'],
  metrics: {
    total_enrollments: count({ where: isEnrol }),
    total_drops: count({ where: isDrop }),
    total_course_views: count({ where: isEvent('COURSE_VIEW') }),
    total_material_accesses: count({ where: studentDownload }),
    total_downloads: count({ where: studentDownload }),
    unique_students_interacting: countDistinct(userOf, { where: isStudent }),
  },
});

/**
 * The batch side of the merged course popularity (speed view `course_popularity`): same rule, per day.
 * It counts assessment, video and course events, so the cross-category job computes it: that job reads
 * those categories anyway, where the course job would read 3× its own events for this one view.
 */
export const courseDailyInteractions = defineBatchView<EventTypeName<'assessment' | 'video' | 'course'>>({
  name: 'course_daily_interactions',
  job: 'student_course_analytics',
  doc: 'Per local date and course: interactions, i.e. every assessment, video or course event naming the course.',
  sources: ['assessment', 'video', 'course'],
  period: 'day',
  keys: { course_id: course },
  partitionKey: ['date'],
  metrics: { interactions: count() },
});
