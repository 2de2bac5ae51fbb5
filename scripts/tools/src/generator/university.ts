/**
 * The simulated university: students, teachers and courses with their content (videos with durations,
 * assignments with types and due dates, quizzes with question counts and max scores, materials, items).
 * Pure data, deterministic from the seed; content dates are offsets from the semester start, which the
 * simulation fixes when it runs.
 */
import { AliasTable, Random } from './random.ts';

export const majors = [
  'Computer Science',
  'Data Science',
  'Software Engineering',
  'Information Technology',
  'Cybersecurity',
] as const;
export type Major = (typeof majors)[number];

const departmentCode: Record<Major, string> = {
  'Computer Science': 'CS',
  'Data Science': 'DS',
  'Software Engineering': 'SE',
  'Information Technology': 'IT',
  Cybersecurity: 'CY',
};

const subjects: Record<Major, readonly string[]> = {
  'Computer Science': [
    'Algorithms',
    'Data Structures',
    'Operating Systems',
    'Computer Networks',
    'Theory of Computation',
    'Compilers',
    'Computer Architecture',
    'Discrete Mathematics',
  ],
  'Data Science': [
    'Big Data Systems',
    'Machine Learning',
    'Statistical Inference',
    'Data Visualisation',
    'Deep Learning',
    'Data Mining',
    'Linear Algebra for Data',
    'Stream Processing',
  ],
  'Software Engineering': [
    'Software Architecture',
    'Requirements Engineering',
    'Software Testing',
    'Agile Project Management',
    'Object-Oriented Design',
    'DevOps Practice',
    'Human-Computer Interaction',
    'Formal Methods',
  ],
  'Information Technology': [
    'Databases',
    'Web Development',
    'Cloud Computing',
    'Mobile Applications',
    'IT Service Management',
    'Distributed Systems',
    'Information Systems',
    'System Administration',
  ],
  Cybersecurity: [
    'Cryptography',
    'Network Security',
    'Secure Coding',
    'Digital Forensics',
    'Penetration Testing',
    'Security Governance',
    'Malware Analysis',
    'Identity and Access Management',
  ],
};
const levels = ['Introduction to', 'Foundations of', 'Applied', 'Advanced', 'Topics in'] as const;

const familyNames = [
  'Nguyễn',
  'Trần',
  'Lê',
  'Phạm',
  'Hoàng',
  'Huỳnh',
  'Phan',
  'Vũ',
  'Võ',
  'Đặng',
  'Bùi',
  'Đỗ',
  'Hồ',
  'Ngô',
  'Dương',
  'Lý',
];
const middleNames = ['Văn', 'Thị', 'Minh', 'Đức', 'Thanh', 'Ngọc', 'Quang', 'Thu', 'Anh', 'Gia', 'Hữu'];
const givenNames = [
  'An',
  'Bình',
  'Chi',
  'Dũng',
  'Giang',
  'Hà',
  'Hải',
  'Hạnh',
  'Hiếu',
  'Hoa',
  'Hùng',
  'Huy',
  'Khánh',
  'Lan',
  'Linh',
  'Long',
  'Mai',
  'Nam',
  'Nga',
  'Phong',
  'Phúc',
  'Quân',
  'Sơn',
  'Tâm',
  'Thảo',
  'Trang',
  'Tuấn',
  'Vy',
  'Yến',
  'Khoa',
];

export type AssignmentType = 'homework' | 'project' | 'essay' | 'lab';
export type MaterialType = 'slides' | 'pdf' | 'notes' | 'dataset' | 'code';
export type ItemType = 'lesson' | 'module' | 'quiz' | 'assignment' | 'discussion';

export interface Video {
  id: string;
  durationSeconds: number;
  /** Day of the semester it is published. */
  releaseDay: number;
}

export interface Assignment {
  id: string;
  type: AssignmentType;
  maxScore: number;
  /** Day of the semester it opens, and its due day (due at 23:59 local time). */
  releaseDay: number;
  dueDay: number;
}

export interface Quiz {
  id: string;
  totalQuestions: number;
  maxScore: number;
  releaseDay: number;
}

export interface Material {
  id: string;
  type: MaterialType;
  releaseDay: number;
}

export interface Item {
  id: string;
  type: ItemType;
}

export interface Course {
  index: number;
  id: string;
  code: string;
  name: string;
  major: Major;
  /** Index of the owning teacher. */
  owner: number;
  maxStudents: number;
  /** Relative attractiveness when students choose courses. */
  popularity: number;
  /** Created by its teacher but cancelled before anyone enrols, then deleted (COURSE_DELETED). */
  cancelled: boolean;
  videos: Video[];
  assignments: Assignment[];
  quizzes: Quiz[];
  materials: Material[];
  items: Item[];
}

export interface Person {
  index: number;
  id: string;
  role: 'student' | 'teacher';
  email: string;
  fullName: string;
  gender: 'male' | 'female' | 'other';
  dateOfBirth: string;
  phone: string;
  /** Relative number of sessions compared with peers of the same role (log-normal). */
  activity: number;
}

export interface Student extends Person {
  role: 'student';
  major: Major;
  /** How many years before the simulated semester the student enrolled at the university (0..4). */
  yearsEnrolled: number;
  /** 0..1: drives quiz and assignment scores. */
  ability: number;
  /** How many courses the student wants this semester (4..6). */
  targetCourses: number;
  /** Courses in order of preference (more than the target, as some fill up). */
  wishList: number[];
}

export interface Teacher extends Person {
  role: 'teacher';
  courses: number[];
}

export interface University {
  seed: string | number;
  students: Student[];
  teachers: Teacher[];
  courses: Course[];
  semesterDays: number;
  /** Counts of content, for documentation and tests. */
  totals: { videos: number; assignments: number; quizzes: number; materials: number; items: number };
}

export interface UniversityOptions {
  seed?: string | number;
  students?: number;
  teachers?: number;
  courses?: number;
  /** Length of the semester the content is spread over, days. */
  semesterDays?: number;
  /** Share of courses cancelled after creation (then deleted). */
  cancelledCourseShare?: number;
}

export const universityDefaults = {
  seed: 'ula',
  students: 3000,
  teachers: 60,
  courses: 120,
  semesterDays: 105,
  cancelledCourseShare: 0.04,
} as const;

const pad = (prefix: string, n: number, width: number): string => prefix + String(n).padStart(width, '0');
const widthFor = (count: number, min: number): number => Math.max(min, String(count).length);

function weighted<T extends string>(random: Random, options: readonly (readonly [T, number])[]): T {
  return options[random.weightedIndex(options.map(([, w]) => w))]![0];
}

function person(random: Random, index: number, id: string, minAge: number, maxAge: number, refYear: number) {
  const gender = weighted(random, [
    ['male', 48],
    ['female', 48],
    ['other', 4],
  ] as const);
  const age = random.int(minAge, maxAge);
  const month = random.int(1, 12);
  const day = random.int(1, 28);
  const fullName = `${random.pick(familyNames)} ${random.pick(middleNames)} ${random.pick(givenNames)}`;
  return {
    index,
    id,
    email: `${id.toLowerCase()}@university.edu`,
    fullName,
    gender,
    dateOfBirth: `${refYear - age}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    phone: `+84 ${random.pick(['90', '91', '93', '94', '96', '97', '98', '86', '88'])} ${random.int(100, 999)} ${random.int(1000, 9999)}`,
    activity: random.logNormal(1, 0.5),
  };
}

/** Builds the university from the seed; the same options always give the same university. */
export function createUniversity(options: UniversityOptions = {}): University {
  const o = { ...universityDefaults, ...options };
  if (o.students < 1 || o.teachers < 1 || o.courses < 1) {
    throw new Error('createUniversity: students, teachers and courses must each be at least 1');
  }
  const random = new Random(o.seed, 'university');
  const refYear = 2025;

  const teachers: Teacher[] = [];
  const teacherWidth = widthFor(o.teachers, 3);
  for (let i = 0; i < o.teachers; i++) {
    const p = person(random, i, pad('GV', i + 1, teacherWidth), 28, 62, refYear);
    // Object.assign, not `{ ...p, role }`: V8 gives every object built by spread plus more keys a map
    // of its own, which makes each property read in the simulation a megamorphic miss.
    teachers.push(
      Object.assign(p, { activity: random.logNormal(1, 0.3), role: 'teacher' as const, courses: [] }),
    );
  }

  const courses: Course[] = [];
  const courseWidth = widthFor(o.courses, 3);
  const codeCounter: Record<string, number> = {};
  const counters = { video: 0, assignment: 0, quiz: 0, material: 0, item: 0 };
  const pending: { videos: Video[]; assignments: Assignment[]; quizzes: Quiz[]; materials: Material[] } = {
    videos: [],
    assignments: [],
    quizzes: [],
    materials: [],
  };
  const weeks = Math.max(1, Math.floor(o.semesterDays / 7));
  // A few courses are cancelled (created, then deleted): preferably not a teacher's only course.
  const cancelled = new Set<number>();
  const cancelCount = o.courses >= 10 ? Math.max(1, Math.round(o.cancelledCourseShare * o.courses)) : 0;
  const firstCancelable = o.courses - cancelCount >= o.teachers ? o.teachers : 0;
  while (cancelled.size < cancelCount) cancelled.add(random.int(firstCancelable, o.courses - 1));
  const averageDemand = (o.students * 5) / Math.max(1, o.courses);
  for (let c = 0; c < o.courses; c++) {
    const major = majors[c % majors.length]!;
    const dept = departmentCode[major];
    codeCounter[dept] = (codeCounter[dept] ?? 100) + random.int(1, 9);
    const owner = c < o.teachers ? c : random.int(0, o.teachers - 1);
    teachers[owner]!.courses.push(c);
    const popularity = random.logNormal(1, 0.6);
    const capacityFactor = random.uniform(1.3, 2.6) * Math.min(2.2, Math.max(0.9, popularity));
    const maxStudents = Math.max(20, Math.ceil((averageDemand * capacityFactor) / 10) * 10);
    const videos: Video[] = [];
    const videoCount = random.int(8, 24);
    for (let v = 0; v < videoCount; v++) {
      videos.push({
        id: '',
        durationSeconds: Math.round(Math.min(5400, Math.max(90, random.logNormal(540, 0.6)))),
        releaseDay: Math.floor((v * weeks) / videoCount) * 7,
      });
    }
    const assignments: Assignment[] = [];
    const assignmentCount = random.int(4, 8);
    for (let a = 0; a < assignmentCount; a++) {
      const type = weighted(random, [
        ['homework', 45],
        ['lab', 25],
        ['essay', 15],
        ['project', 15],
      ] as const);
      const dueDay = Math.min(
        o.semesterDays - 1,
        Math.max(3, Math.round(((a + 0.6) * o.semesterDays) / assignmentCount) + random.int(-2, 2)),
      );
      assignments.push({
        id: '',
        type,
        maxScore: type === 'homework' || type === 'lab' ? 10 : 100,
        releaseDay: Math.max(0, dueDay - (type === 'project' ? 28 : 14)),
        dueDay,
      });
    }
    // In release order, so the simulation can scan only what is open.
    assignments.sort((x, y) => x.releaseDay - y.releaseDay || x.dueDay - y.dueDay);
    const quizzes: Quiz[] = [];
    const quizCount = random.int(4, 10);
    for (let q = 0; q < quizCount; q++) {
      const totalQuestions = random.pick([5, 10, 10, 15, 20, 20, 25, 30, 40, 50]);
      quizzes.push({
        id: '',
        totalQuestions,
        maxScore: random.pick([10, 10, 20, 100]),
        releaseDay: Math.floor((q * weeks) / quizCount) * 7,
      });
    }
    const materials: Material[] = [];
    const materialCount = random.int(5, 15);
    for (let m = 0; m < materialCount; m++) {
      materials.push({
        id: '',
        type: weighted(random, [
          ['slides', 35],
          ['pdf', 30],
          ['notes', 15],
          ['code', 12],
          ['dataset', 8],
        ] as const),
        releaseDay: Math.floor((m * weeks) / materialCount) * 7,
      });
    }
    const items: Item[] = [];
    const itemCount = random.int(12, 30);
    for (let i = 0; i < itemCount; i++) {
      items.push({
        id: '',
        type: weighted(random, [
          ['lesson', 35],
          ['module', 15],
          ['quiz', 15],
          ['assignment', 15],
          ['discussion', 20],
        ] as const),
      });
    }
    pending.videos.push(...videos);
    pending.assignments.push(...assignments);
    pending.quizzes.push(...quizzes);
    pending.materials.push(...materials);
    counters.item += itemCount;
    courses.push({
      index: c,
      id: pad('COURSE', c + 1, courseWidth),
      code: `${dept}${codeCounter[dept]}`,
      name: `${random.pick(levels)} ${random.pick(subjects[major])}`,
      major,
      owner,
      maxStudents,
      popularity,
      cancelled: cancelled.has(c),
      videos,
      assignments,
      quizzes,
      materials,
      items,
    });
  }
  // Content ids are global (like the older system's VID/ASM/QUIZ/MAT/ITEM pools: docs/architecture.md#the-older-system), numbered in course order.
  const label = <T extends { id: string }>(list: T[], prefix: string, min: number) => {
    const width = widthFor(list.length, min);
    list.forEach((x, i) => {
      x.id = pad(prefix, i + 1, width);
    });
    return list.length;
  };
  counters.video = label(pending.videos, 'VID', 3);
  counters.assignment = label(pending.assignments, 'ASM', 3);
  counters.quiz = label(pending.quizzes, 'QUIZ', 3);
  counters.material = label(pending.materials, 'MAT', 3);
  label(
    courses.flatMap((c) => c.items),
    'ITEM',
    3,
  );

  const students: Student[] = [];
  const studentWidth = widthFor(o.students, 5);
  const open = courses.filter((c) => !c.cancelled);
  // Preference: popular courses and the student's own major first (weighted sampling without
  // replacement, by rejection of repeats); a few more than needed, as some courses fill up.
  const pickers = new Map(
    majors.map((m) => [m, new AliasTable(open.map((c) => c.popularity * (c.major === m ? 3 : 1)))] as const),
  );
  for (let s = 0; s < o.students; s++) {
    const p = person(random, s, pad('SV', s + 1, studentWidth), 18, 24, refYear);
    const major = random.pick(majors);
    const targetCourses = random.int(4, 6);
    const want = Math.min(open.length, targetCourses + 6);
    const picker = pickers.get(major)!;
    const wishList: number[] = [];
    for (let tries = 0; wishList.length < want && tries < want * 20; tries++) {
      const index = open[picker.draw(random)]!.index;
      if (!wishList.includes(index)) wishList.push(index);
    }
    for (const c of open) if (wishList.length < want && !wishList.includes(c.index)) wishList.push(c.index);
    students.push(
      Object.assign(p, {
        role: 'student' as const,
        major,
        yearsEnrolled: random.int(0, 4),
        ability: Math.min(0.98, Math.max(0.25, random.normal(0.7, 0.14))),
        targetCourses,
        wishList,
      }),
    );
  }

  return {
    seed: o.seed,
    students,
    teachers,
    courses,
    semesterDays: o.semesterDays,
    totals: {
      videos: counters.video,
      assignments: counters.assignment,
      quizzes: counters.quiz,
      materials: counters.material,
      items: counters.item,
    },
  };
}
