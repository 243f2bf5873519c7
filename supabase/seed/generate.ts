// Writes supabase/seed.sql: the demo union (units, 640 members, a year of activities) from the
// fixture files beside this script. Run: `npm run seed:generate`. A test checks that the
// committed seed.sql is what this script writes, so edit this file, never seed.sql.
//
// Dates: the fixtures describe 2027. The seed moves them by whole weeks (weekdays stay weekdays)
// so that the women's checkup (女职工妇科健康检查) starts about two weeks after the day of seeding:
// the activities before it are over (with registrations and check-ins), the later ones are open.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

export const DEMO_PASSWORD = 'demo-union-2027';

/** Fixed ids, so tests and documentation can name the demo accounts. */
export const DEMO_ACCOUNTS = {
	employee: {
		email: 'employee@union.example',
		userId: '00000000-0000-4000-8000-00000000e001',
		role: 'a member of a nursing group / 护理工会小组的会员'
	},
	organizer: {
		email: 'organizer@union.example',
		userId: '00000000-0000-4000-8000-00000000e002',
		role: 'organizer of the nursing branch / 护理分工会干事'
	},
	office: {
		email: 'office@union.example',
		userId: '00000000-0000-4000-8000-00000000e003',
		role: 'union office / 工会办公室'
	}
} as const;

interface RosterRow {
	employeeNo: string;
	name: string;
	gender: 'female' | 'male';
	memberType: 'staff' | 'contract' | 'retired';
	unitCode: string;
	phone: string;
	email: string;
	joinedOn: string;
}

interface FixtureActivity {
	title: string;
	category: string;
	start: string;
	end: string;
	place: string;
	capacity: number | null;
	notes: string;
}

/** Rules the fixture notes describe in words, written out per activity. */
interface ActivityRules {
	ownerUnit?: string;
	eligibleGenders?: string[];
	eligibleMemberTypes?: string[];
	eligibleUnits?: string[];
	admission?: 'first_come' | 'approval' | 'lottery';
	waitlist?: boolean;
	guestsMax?: number;
	walkIn?: boolean;
	closesDaysBefore?: number;
	cancelDaysBefore?: number;
	opensInDays?: number;
	sessions?: { from: string; to: string; capacity: number };
	questions?: unknown[];
}

const RULES: Record<string, ActivityRules> = {
	迎新春职工拔河比赛: { waitlist: true },
	职工羽毛球比赛: { closesDaysBefore: 3, cancelDaysBefore: 1 },
	三八妇女节女职工健康讲座: { eligibleGenders: ['female'] },
	女职工妇科健康检查: {
		eligibleGenders: ['female'],
		sessions: { from: '08:00', to: '11:00', capacity: 40 }
	},
	年度职工健康体检: {
		eligibleMemberTypes: ['staff', 'contract'],
		sessions: { from: '07:30', to: '11:00', capacity: 60 },
		questions: [
			{
				id: 'package',
				kind: 'choice',
				label: { zh: '体检套餐', en: 'Checkup package' },
				required: true,
				options: [
					{ value: 'A', label: { zh: 'A 套餐（基础）', en: 'Package A (basic)' } },
					{ value: 'B', label: { zh: 'B 套餐（含影像）', en: 'Package B (with imaging)' } }
				]
			}
		]
	},
	第三届职工运动会: {},
	'护理技能竞赛（初赛）': { ownerUnit: 'U03', eligibleUnits: ['U03'], admission: 'approval' },
	'“相约山水”秋季一日游': { guestsMax: 2 },
	无偿献血报名: { admission: 'lottery', waitlist: false, closesDaysBefore: 5 },
	中秋职工联谊晚会: { walkIn: true, opensInDays: 7 },
	'“书香医院”读书征文分享会': {},
	安全生产知识竞赛: {}
};

/** What members read on the detail page; the fixtures' notes are for developers. */
const DESCRIPTIONS: Record<string, string> = {
	迎新春职工拔河比赛: '以分工会为单位组队参赛，每队 8 人。名额满后可候补。',
	职工羽毛球比赛: '单打、双打均可报名。比赛前 3 天截止报名，前 1 天前可取消。',
	三八妇女节女职工健康讲座: '邀请妇产科专家讲解女性健康知识，欢迎女职工参加。',
	女职工妇科健康检查: '周一至周五上午 8:00–11:00，每个时段 40 人，请按预约时段到体检中心。',
	年度职工健康体检: '按天分场次，每场 60 人。请选择体检套餐，体检当天空腹。',
	第三届职工运动会: '为期两天，按天签到。项目分组与赛程另行通知。',
	'护理技能竞赛（初赛）': '护理分工会会员参加，报名需经组织者审核。',
	'“相约山水”秋季一日游': '每位会员可携带 2 名家属，家属占用名额。早上 7 点在医院正门集合。',
	无偿献血报名: '报名人数较多时，报名截止后抽签确定参加人员。',
	中秋职工联谊晚会: '欢迎退休职工参加，可现场报名。',
	'“书香医院”读书征文分享会': '分享阅读心得，优秀征文现场颁奖。',
	安全生产知识竞赛: '以分工会为单位组队，每队 3 人。'
};

const GENDERS: Record<string, RosterRow['gender']> = { 女: 'female', 男: 'male' };
const MEMBER_TYPES: Record<string, RosterRow['memberType']> = {
	在职: 'staff',
	聘用: 'contract',
	退休: 'retired'
};

function readCsv(file: string): string[][] {
	const text = readFileSync(join(here, file), 'utf8').replace(/^\uFEFF/, '');
	return text
		.split(/\r?\n/)
		.filter((line) => line.trim() !== '')
		.slice(1)
		.map((line) => line.split(','));
}

/** A small deterministic PRNG (mulberry32), so the seed is the same on every machine. */
function random(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function sql(value: string | number | boolean | null | undefined): string {
	if (value === null || value === undefined) return 'null';
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	return `'${value.replace(/'/g, "''")}'`;
}

function textArray(values: string[] | undefined): string {
	return values ? `array[${values.map(sql).join(', ')}]::text[]` : 'null';
}

/** A fixture local time (Asia/Shanghai), moved by the seed's week shift. */
function at(localTime: string): string {
	return `((timestamp ${sql(localTime.replace('T', ' '))} + seed_shift.days * interval '1 day') at time zone 'Asia/Shanghai')`;
}

function weekdaysBetween(start: string, end: string): string[] {
	const days: string[] = [];
	const day = new Date(`${start.slice(0, 10)}T00:00:00Z`);
	const last = new Date(`${end.slice(0, 10)}T00:00:00Z`);
	while (day <= last) {
		const weekday = day.getUTCDay();
		if (weekday !== 0 && weekday !== 6) days.push(day.toISOString().slice(0, 10));
		day.setUTCDate(day.getUTCDate() + 1);
	}
	return days;
}

export function generateSeed(): string {
	const units = readCsv('units.csv').map(([code, name, parent]) => ({
		code: code ?? '',
		name: name ?? '',
		parent: parent ?? ''
	}));
	const roster: RosterRow[] = readCsv('roster.csv').map((cells) => {
		const [employeeNo, name, gender, memberType, unitCode, phone, email, joinedOn] = cells;
		const g = GENDERS[gender ?? ''];
		const t = MEMBER_TYPES[memberType ?? ''];
		if (!employeeNo || !name || !g || !t || !unitCode || !joinedOn) {
			throw new Error(`bad roster line: ${cells.join(',')}`);
		}
		return {
			employeeNo,
			name,
			gender: g,
			memberType: t,
			unitCode,
			phone: phone ?? '',
			email: (email ?? '').toLowerCase(),
			joinedOn
		};
	});
	const activities = JSON.parse(
		readFileSync(join(here, 'activities.json'), 'utf8')
	) as FixtureActivity[];

	// The demo accounts take over three roster entries that fit their roles.
	const pick = (test: (row: RosterRow) => boolean): RosterRow => {
		const row = roster.find((r) => test(r) && !r.email.endsWith('@union.example'));
		if (!row) throw new Error('no roster entry fits a demo account');
		return row;
	};
	const employee = pick(
		(r) => r.unitCode === 'U0301' && r.gender === 'female' && r.memberType === 'staff'
	);
	employee.email = DEMO_ACCOUNTS.employee.email;
	const organizer = pick((r) => r.unitCode === 'U0302' && r.memberType === 'staff');
	organizer.email = DEMO_ACCOUNTS.organizer.email;
	const office = pick((r) => r.unitCode === 'U0501' && r.memberType === 'staff');
	office.email = DEMO_ACCOUNTS.office.email;

	const out: string[] = [];
	const emit = (line: string) => out.push(line);

	emit('-- Demo union for development, demos and tests. Generated by supabase/seed/generate.ts:');
	emit('-- edit that script and run `npm run seed:generate`, never this file.');
	emit('-- Dates are relative to the day of seeding (see the script).');
	emit('');
	emit('create temporary table seed_shift on commit drop as');
	emit("select (7 * round(((current_date + 14) - date '2027-04-12') / 7.0))::integer as days;");
	emit('');
	emit(
		"insert into private.union_settings (name, time_zone) values ('市第一人民医院工会', 'Asia/Shanghai');"
	);
	emit('');

	// Units: parents first, so the ancestors trigger finds them.
	emit('insert into private.units (code, name, kind, parent_id) values');
	const unitLines = units
		.filter((u) => !u.parent)
		.map((u) => `(${sql(u.code)}, ${sql(u.name)}, 'union', null)`);
	emit(unitLines.join(',\n') + ';');
	for (const kind of ['branch', 'group'] as const) {
		const level = units.filter((u) => {
			const parent = units.find((p) => p.code === u.parent);
			return kind === 'branch' ? parent !== undefined && !parent.parent : parent?.parent;
		});
		emit('insert into private.units (code, name, kind, parent_id)');
		emit('select v.code, v.name, v.kind, p.id from (values');
		emit(
			level
				.map((u) => `\t(${sql(u.code)}, ${sql(u.name)}, '${kind}', ${sql(u.parent)})`)
				.join(',\n')
		);
		emit(') as v (code, name, kind, parent_code) join private.units p on p.code = v.parent_code;');
	}
	emit('');

	emit(
		'insert into private.members (employee_no, name, gender, member_type, unit_id, phone, email, joined_on, active_from)'
	);
	emit(
		'select v.employee_no, v.name, v.gender, v.member_type, u.id, v.phone, v.email, v.joined_on::date, v.joined_on::date'
	);
	emit('from (values');
	emit(
		roster
			.map(
				(r) =>
					`\t(${sql(r.employeeNo)}, ${sql(r.name)}, ${sql(r.gender)}, ${sql(r.memberType)}, ${sql(r.unitCode)}, ${sql(r.phone)}, ${sql(r.email)}, ${sql(r.joinedOn)})`
			)
			.join(',\n')
	);
	emit(') as v (employee_no, name, gender, member_type, unit_code, phone, email, joined_on)');
	emit('join private.units u on u.code = v.unit_code;');
	emit('');

	// Demo accounts: confirmed emails with a password, linked to their roster entries. The same
	// rows work on a real Supabase project (auth.users + auth.identities, bcrypt via pgcrypto).
	emit(
		'insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,'
	);
	emit(
		'\traw_app_meta_data, raw_user_meta_data, created_at, updated_at, confirmation_token, recovery_token,'
	);
	emit('\temail_change_token_new, email_change)');
	emit('values');
	emit(
		Object.values(DEMO_ACCOUNTS)
			.map(
				(a) =>
					`\t('00000000-0000-0000-0000-000000000000', ${sql(a.userId)}, 'authenticated', 'authenticated', ${sql(a.email)}, extensions.crypt(${sql(DEMO_PASSWORD)}, extensions.gen_salt('bf', 10)), now(), '{"provider":"email","providers":["email"]}', '{}', now(), now(), '', '', '', '')`
			)
			.join(',\n') + ';'
	);
	emit(
		'insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)'
	);
	emit(
		"select u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true), 'email', now(), now(), now()"
	);
	emit(
		`from auth.users u where u.id in (${Object.values(DEMO_ACCOUNTS)
			.map((a) => sql(a.userId))
			.join(', ')});`
	);
	emit('update private.members m set user_id = u.id from auth.users u');
	emit(
		`where m.email = u.email and u.id in (${Object.values(DEMO_ACCOUNTS)
			.map((a) => sql(a.userId))
			.join(', ')});`
	);
	emit('');
	emit('insert into private.staff_roles (member_id, role, unit_id)');
	emit(
		`select m.id, 'office', null from private.members m where m.email = ${sql(DEMO_ACCOUNTS.office.email)};`
	);
	emit('insert into private.staff_roles (member_id, role, unit_id)');
	emit(
		`select m.id, 'organizer', u.id from private.members m, private.units u where m.email = ${sql(DEMO_ACCOUNTS.organizer.email)} and u.code = 'U03';`
	);
	emit('');

	// Activities, their sessions, registrations and (for the ones that are over) check-ins.
	const rand = random(20270101);
	const seedDay = Date.UTC(2027, 3, 12) - 14 * 86_400_000; // the fixture day that maps to "today"
	const members = roster;
	for (const activity of activities) {
		const rules = RULES[activity.title];
		if (!rules) throw new Error(`no rules written out for ${activity.title}`);
		const isPast = Date.parse(`${activity.end}:00Z`) < seedDay;
		const closesBefore = rules.closesDaysBefore ?? 1;
		const cancelBefore = rules.cancelDaysBefore ?? 1;
		const opens = isPast
			? `${at(activity.start)} - interval '30 days'`
			: rules.opensInDays
				? `now() + interval '${rules.opensInDays} days'`
				: `now() - interval '3 days'`;
		emit(
			'insert into private.activities (title, category, status, owner_unit_id, starts_at, ends_at, place,'
		);
		emit(
			'\tsignup_opens_at, signup_closes_at, cancel_deadline, capacity, admission, waitlist_enabled, guests_max,'
		);
		emit(
			'\twalk_in_allowed, eligible_genders, eligible_member_types, eligible_unit_ids, questions, description)'
		);
		emit(
			`select ${sql(activity.title)}, ${sql(activity.category)}, ${sql(isPast ? 'completed' : 'published')}, o.id, ${at(activity.start)}, ${at(activity.end)}, ${sql(activity.place)},`
		);
		emit(
			`\t${opens}, ${at(activity.start)} - interval '${closesBefore} days', ${at(activity.start)} - interval '${cancelBefore} days', ${sql(activity.capacity)}, ${sql(rules.admission ?? 'first_come')}, ${sql(rules.waitlist ?? true)}, ${rules.guestsMax ?? 0},`
		);
		const unitIds = rules.eligibleUnits
			? `(select array_agg(id) from private.units where code in (${rules.eligibleUnits.map(sql).join(', ')}))`
			: 'null';
		emit(
			`\t${sql(rules.walkIn ?? false)}, ${textArray(rules.eligibleGenders)}, ${textArray(rules.eligibleMemberTypes)}, ${unitIds}, ${sql(JSON.stringify(rules.questions ?? []))}::jsonb, ${sql(DESCRIPTIONS[activity.title] ?? '')}`
		);
		emit(`from seed_shift, private.units o where o.code = ${sql(rules.ownerUnit ?? 'U00')};`);

		const activityRef = `(select id from private.activities where title = ${sql(activity.title)})`;
		const sessionDays = rules.sessions ? weekdaysBetween(activity.start, activity.end) : [];
		if (rules.sessions) {
			const s = rules.sessions;
			emit('insert into private.sessions (activity_id, label, starts_at, ends_at, capacity)');
			emit(
				`select ${activityRef}, '', v.starts, v.ends, ${s.capacity} from seed_shift, lateral (values`
			);
			emit(
				sessionDays.map((d) => `\t(${at(`${d}T${s.from}`)}, ${at(`${d}T${s.to}`)})`).join(',\n')
			);
			emit(') as v (starts, ends);');
		}

		// Registrations: over activities fill most seats; open ones some, so badges vary.
		const eligible = members.filter(
			(m) =>
				(!rules.eligibleGenders || rules.eligibleGenders.includes(m.gender)) &&
				(!rules.eligibleMemberTypes || rules.eligibleMemberTypes.includes(m.memberType)) &&
				(!rules.eligibleUnits || rules.eligibleUnits.some((u) => m.unitCode.startsWith(u))) &&
				m.email !== DEMO_ACCOUNTS.employee.email
		);
		const capacity = activity.capacity ?? sessionDays.length * (rules.sessions?.capacity ?? 0);
		const fill = isPast ? 0.85 : activity.title === '迎新春职工拔河比赛' ? 0 : rand() * 0.5;
		let wanted = Math.floor(capacity * fill);
		if (rules.admission === 'lottery') wanted = isPast ? 0 : 20;
		const chosen = [...eligible].sort(() => rand() - 0.5).slice(0, wanted);
		const perSession = rules.sessions?.capacity ?? Infinity;
		const rows: string[] = [];
		let seats = 0;
		chosen.forEach((member, index) => {
			const guests = rules.guestsMax ? Math.floor(rand() * (rules.guestsMax + 1)) : 0;
			const status =
				rules.admission === 'lottery' || rules.admission === 'approval'
					? 'pending_approval'
					: 'registered';
			if (status === 'registered') {
				if (activity.capacity !== null && seats + 1 + guests > activity.capacity) return;
				seats += 1 + guests;
			}
			const guestNames = Array.from(
				{ length: guests },
				(_, g) => `${member.name.slice(0, 1)}家属${g + 1}`
			);
			const sessionIndex = sessionDays.length
				? Math.min(Math.floor(index / perSession), sessionDays.length - 1)
				: -1;
			const answers = rules.questions ? { package: rand() < 0.6 ? 'A' : 'B' } : {};
			rows.push(
				`\t(${sql(member.employeeNo)}, ${sql(status)}, ${textArray(guestNames)}, ${sql(JSON.stringify(answers))}::jsonb, ${sessionIndex}, ${index})`
			);
		});
		if (rows.length) {
			emit(
				'insert into private.registrations (activity_id, member_id, status, guest_names, answers, session_id, queued_at)'
			);
			emit(
				`select a.id, m.id, v.status, v.guest_names, v.answers, s.id, a.signup_opens_at + v.n * interval '1 minute'`
			);
			emit('from (values');
			emit(rows.join(',\n'));
			emit(') as v (employee_no, status, guest_names, answers, session_index, n)');
			emit(`join private.activities a on a.id = ${activityRef}`);
			emit('join private.members m on m.employee_no = v.employee_no');
			emit('left join lateral (');
			emit('\tselect s.id from private.sessions s where s.activity_id = a.id');
			emit('\torder by s.starts_at offset greatest(v.session_index, 0) limit 1');
			emit(') s on v.session_index >= 0;');
		}

		// Check-ins of what is over: about nine in ten admitted members came, each activity-day.
		if (isPast) {
			emit(
				'insert into private.check_ins (id, activity_id, registration_id, member_id, session_id, day, kind,'
			);
			emit('\tguests_checked_in, device_id, device_seq, device_time, server_time)');
			emit(
				"select gen_random_uuid(), r.activity_id, r.id, r.member_id, r.session_id, d.day, 'scan',"
			);
			emit("\tcardinality(r.guest_names), 'seed-door-1', row_number() over (), d.at, d.at");
			emit(`from private.registrations r`);
			emit('join private.activities a on a.id = r.activity_id');
			emit('left join private.sessions s on s.id = r.session_id');
			emit('cross join lateral (');
			emit(
				"\tselect (coalesce(s.starts_at, a.starts_at) at time zone 'Asia/Shanghai')::date as day,"
			);
			emit("\t\tcoalesce(s.starts_at, a.starts_at) + interval '5 minutes' as at");
			emit(') d');
			emit(`where r.activity_id = ${activityRef} and r.status = 'registered'`);
			emit(`\tand ('x' || substr(md5(r.member_id::text), 1, 2))::bit(8)::integer < 230;`);
		}
		emit('');
	}

	return out.join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	writeFileSync(join(here, '..', 'seed.sql'), generateSeed());
	console.log('wrote supabase/seed.sql');
}
