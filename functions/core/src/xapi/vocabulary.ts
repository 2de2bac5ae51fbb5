/**
 * Every IRI the xAPI mapping reads or writes, in one place: ADL verbs (both the legacy
 * `http://adlnet.gov/expapi/verbs/…` and the w3id forms), the verbs real systems send for the same acts
 * (Open edX event-routing-backends, Moodle logstore_xapi, the TinCan registry, Activity Streams), the xAPI
 * Video Profile, cmi5, activity types, extension keys, and the platform's own namespace (`ula`) for the
 * catalogue form: one verb per catalogue event type and one extension per data field.
 */

const adl = (name: string) => `http://adlnet.gov/expapi/verbs/${name}`;
const adlActivity = (name: string) => `http://adlnet.gov/expapi/activities/${name}`;
const tincanVerb = (name: string) => `http://id.tincanapi.com/verb/${name}`;
const tincanActivity = (name: string) => `http://id.tincanapi.com/activitytype/${name}`;
const video = (path: string) => `https://w3id.org/xapi/video/${path}`;

/** The platform's own vocabulary: verbs of the catalogue form, extensions, activity types. */
export const ula = {
  namespace: 'https://ula.example/xapi',
  verb: (eventType: string) =>
    `https://ula.example/xapi/verbs/${eventType.toLowerCase().replaceAll('_', '-')}`,
  extension: (field: string) => `https://ula.example/xapi/extensions/${field.replaceAll('_', '-')}`,
  activityType: (kind: string) => `https://ula.example/xapi/activities/${kind}`,
} as const;

/** The catalogue-form verb prefix: `<prefix><event-type in kebab case>`. */
export const ulaVerbPrefix = `${ula.namespace}/verbs/`;
/** The role extension (context): `student` or `teacher`. */
export const roleExtension = ula.extension('role');

export const verbs = {
  loggedIn: [
    'https://w3id.org/xapi/adl/verbs/logged-in',
    adl('logged-in'),
    'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/login', // Moodle logstore_xapi
    'https://brindlewaye.com/xAPITerms/verbs/loggedin/',
  ],
  loggedOut: [
    'https://w3id.org/xapi/adl/verbs/logged-out',
    adl('logged-out'),
    'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/logout',
    'https://brindlewaye.com/xAPITerms/verbs/loggedout/',
  ],
  launched: [adl('launched')],
  initialized: [adl('initialized')],
  terminated: [adl('terminated')],
  registered: [adl('registered'), 'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/enrolled'],
  unregistered: [
    tincanVerb('unregistered'),
    'http://activitystrea.ms/leave',
    'http://activitystrea.ms/schema/1.0/leave',
  ],
  viewed: [tincanVerb('viewed'), 'http://activitystrea.ms/schema/1.0/view'],
  accessed: ['http://activitystrea.ms/schema/1.0/access', 'https://w3id.org/xapi/netc/verbs/accessed'],
  experienced: [adl('experienced'), 'http://activitystrea.ms/schema/1.0/experience'],
  navigated: ['https://w3id.org/xapi/dod-isd/verbs/navigated'],
  interacted: [adl('interacted'), 'http://activitystrea.ms/schema/1.0/interact'],
  downloaded: [tincanVerb('downloaded')],
  submitted: ['http://activitystrea.ms/schema/1.0/submit', 'https://w3id.org/xapi/dod-isd/verbs/submitted'],
  answered: [adl('answered')],
  completed: [adl('completed')],
  passed: [adl('passed')],
  failed: [adl('failed')],
  scored: [adl('scored'), 'https://w3id.org/xapi/tla/verbs/scored'],
  evaluated: ['https://w3id.org/xapi/acrossx/verbs/evaluated', 'http://www.tincanapi.co.uk/verbs/evaluated'],
  played: [video('verbs/played')],
  paused: [video('verbs/paused')],
  seeked: [video('verbs/seeked')],
} as const satisfies Record<string, readonly string[]>;

export const activityTypes = {
  lms: [tincanActivity('lms')],
  course: [
    adlActivity('course'),
    'https://w3id.org/xapi/cmi5/activitytype/course',
    ula.activityType('course'),
  ],
  lesson: [adlActivity('lesson'), ula.activityType('lesson')],
  module: [adlActivity('module'), tincanActivity('section'), ula.activityType('module')],
  quiz: [adlActivity('assessment'), ula.activityType('quiz')],
  assignment: [
    'https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/assignment', // Moodle mod_assign
    tincanActivity('school-assignment'),
    ula.activityType('assignment'),
  ],
  submission: ['https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/submission'],
  /** A Moodle quiz attempt: the quiz is its parent activity. */
  attempt: [adlActivity('attempt')],
  discussion: [tincanActivity('discussion'), tincanActivity('forum'), ula.activityType('discussion')],
  question: [adlActivity('question'), adlActivity('cmi.interaction'), adlActivity('interaction')],
  material: [
    tincanActivity('file'),
    tincanActivity('document'),
    tincanActivity('slide-deck'),
    adlActivity('file'),
    adlActivity('media'),
    ula.activityType('material'),
  ],
  video: [video('activity-type/video')],
} as const satisfies Record<string, readonly string[]>;

export const videoProfile = {
  /** Context activity (category) that marks a Video Profile statement. */
  category: 'https://w3id.org/xapi/video',
  time: video('extensions/time'),
  timeFrom: video('extensions/time-from'),
  timeTo: video('extensions/time-to'),
  progress: video('extensions/progress'),
  playedSegments: video('extensions/played-segments'),
  length: video('extensions/length'),
  sessionId: video('extensions/session-id'),
  completionThreshold: video('extensions/completion-threshold'),
} as const;

export const cmi5 = {
  category: 'https://w3id.org/xapi/cmi5/context/categories/cmi5',
  sessionId: 'https://w3id.org/xapi/cmi5/context/extensions/sessionid',
} as const;

export const openEdx = {
  sessionId: 'https://w3id.org/xapi/openedx/extensions/session-id',
} as const;

/** The fields statements lack but the catalogue needs, carried as the platform's extensions. */
export const ulaExtensions = {
  role: roleExtension,
  sessionId: ula.extension('session_id'),
  courseId: ula.extension('course_id'),
  dueDate: ula.extension('due_date'),
  assignmentType: ula.extension('assignment_type'),
  fileUrl: ula.extension('file_url'),
  correctAnswers: ula.extension('correct_answers'),
  totalQuestions: ula.extension('total_questions'),
  materialType: ula.extension('material_type'),
} as const;

/**
 * Catalogue fields that are contact data of a person (e-mail, names, phone): never sent, stored or
 * accepted over xAPI. The events derived from statements carry the documented placeholders below instead.
 */
export const withheldFields = {
  email: 'withheld@withheld.invalid',
  full_name: 'withheld',
  phone_number: 'withheld',
  old_email: undefined,
  new_email: undefined,
  old_phone: undefined,
  new_phone: undefined,
} as const satisfies Record<string, string | undefined>;

export const isVerb = (id: string, list: readonly string[]): boolean => list.includes(id);
