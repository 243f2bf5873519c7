// Property tests against the real database (PGlite, and PostgreSQL when the lane is on):
// random sign-up/cancel sequences with guests never overbook and end where the TS model of the
// rules ends; eligibility computed by an independent TS mirror agrees with
// private.ineligibility_reason on random members and random activity rules.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Backend } from '../../supabase/standin/backend.ts';
import {
	asOwner,
	createActivity,
	lanes,
	type SeededDatabase
} from '../../supabase/tests/support.ts';

interface Member {
	id: string;
	gender: 'female' | 'male';
	member_type: 'staff' | 'contract' | 'retired';
	ancestors: string[];
	active: boolean;
}

/** The TS mirror of private.ineligibility_reason. */
function ineligibility(
	rules: { genders: string[] | null; types: string[] | null; units: string[] | null },
	member: Member
): string | null {
	if (!member.active) return 'not_member';
	if (rules.genders !== null && !rules.genders.includes(member.gender)) return 'gender';
	if (rules.types !== null && !rules.types.includes(member.member_type)) return 'member_type';
	if (rules.units !== null && !member.ancestors.some((u) => rules.units!.includes(u)))
		return 'unit';
	return null;
}

type Op = { signup: boolean; member: number; guests: number };

/** The server's seat rules in TS: admit while seats last and nobody waits, else waitlist. */
function model(capacity: number, ops: readonly Op[]): Map<number, string> {
	const regs = new Map<number, { status: string; guests: number; at: number }>();
	let clock = 0;
	const taken = () =>
		[...regs.values()]
			.filter((r) => r.status === 'registered')
			.reduce((s, r) => s + 1 + r.guests, 0);
	for (const op of ops) {
		const existing = regs.get(op.member);
		if (op.signup) {
			if (existing && existing.status !== 'cancelled') continue;
			const waiting = [...regs.values()].some((r) => r.status === 'waitlisted');
			const status = !waiting && capacity - taken() >= 1 + op.guests ? 'registered' : 'waitlisted';
			regs.set(op.member, { status, guests: op.guests, at: clock++ });
		} else if (existing && existing.status !== 'cancelled') {
			existing.status = 'cancelled';
			for (const head of [...regs.values()]
				.filter((r) => r.status === 'waitlisted')
				.sort((a, b) => a.at - b.at)) {
				if (capacity - taken() < 1 + head.guests) break;
				head.status = 'registered';
			}
		}
	}
	return new Map([...regs].map(([m, r]) => [m, r.status]));
}

describe.each(lanes())('domain properties against the database on $name', (lane) => {
	let db: SeededDatabase | undefined;
	let backend: Backend;
	let members: Member[];
	let units: string[];

	beforeAll(async () => {
		const opened = await lane.open();
		db = opened;
		backend = opened.backend;
		members = await asOwner(backend, (tx) =>
			tx.query<Member>(
				`select m.id, m.gender, m.member_type, u.ancestors::text[] as ancestors,
					(m.active_until is null or m.active_until > current_date) as active
				from private.members m join private.units u on u.id = m.unit_id
				order by m.employee_no`
			)
		);
		units = (
			await asOwner(backend, (tx) => tx.query<{ id: string }>(`select id from private.units`))
		).map((u) => u.id);
	});

	afterAll(async () => {
		await db?.close();
	});

	test('capacity: random sign-ups and cancels with guests never overbook and match the TS model', async () => {
		const plain = members.filter((m) => m.active).slice(0, 8);
		await fc.assert(
			fc.asyncProperty(
				fc.integer({ min: 1, max: 6 }),
				fc.array(
					fc.record({
						signup: fc.boolean(),
						member: fc.nat(plain.length - 1),
						guests: fc.nat(2)
					}),
					{ minLength: 1, maxLength: 14 }
				),
				async (capacity, ops) => {
					const activity = await createActivity(backend, { capacity, guests_max: 2 });
					for (const op of ops) {
						const member = plain[op.member]!.id;
						await asOwner(backend, (tx) =>
							tx.query(
								op.signup
									? `select private.sign_up($1::uuid, $2::uuid, null,
										array_fill('家属'::text, array[$3::int]), '{}', 'self', $2::uuid)`
									: `select private.cancel_registration($1::uuid, $2::uuid)`,
								op.signup ? [activity, member, String(op.guests)] : [activity, member]
							)
						).catch((error: unknown) => {
							// Business refusals are outcomes, not failures.
							const message = (error as { message?: string }).message ?? '';
							if (!/already_registered|registration_not_found/.test(message)) throw error;
						});
						const [seats] = await asOwner(backend, (tx) =>
							tx.query<{ taken: number; counted: number }>(
								`select a.seats_taken as taken, coalesce((select sum(1 + cardinality(r.guest_names))
									from private.registrations r where r.activity_id = a.id and r.status = 'registered'), 0)::int as counted
								from private.activities a where a.id = $1::uuid`,
								[activity]
							)
						);
						expect(seats!.taken).toBeLessThanOrEqual(capacity);
						expect(seats!.taken).toBe(seats!.counted);
					}
					const rows = await asOwner(backend, (tx) =>
						tx.query<{ member_id: string; status: string }>(
							`select member_id, status from private.registrations where activity_id = $1::uuid`,
							[activity]
						)
					);
					const expected = model(capacity, ops);
					const actual = new Map(
						rows.map((r) => [plain.findIndex((m) => m.id === r.member_id), r.status])
					);
					expect(actual).toEqual(expected);
				}
			),
			{ numRuns: 6 }
		);
	});

	test('eligibility: the TS mirror agrees with private.ineligibility_reason on random members and rules', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.option(fc.subarray(['female', 'male'], { minLength: 1 })),
				fc.option(fc.subarray(['staff', 'contract', 'retired'], { minLength: 1 })),
				fc.option(fc.subarray(units, { minLength: 1, maxLength: 3 })),
				fc.array(fc.nat(members.length - 1), { minLength: 5, maxLength: 25 }),
				async (genders, types, unitIds, picks) => {
					const activity = await createActivity(backend, {
						eligible_genders: genders,
						eligible_member_types: types,
						eligible_unit_ids: unitIds
					});
					const chosen = picks.map((i) => members[i]!);
					const rows = await asOwner(backend, (tx) =>
						tx.query<{ id: string; reason: string | null }>(
							`select m as id, private.ineligibility_reason($1::uuid, m) as reason
							from unnest(string_to_array($2, ',')::uuid[]) m`,
							[activity, chosen.map((m) => m.id).join(',')]
						)
					);
					for (const [i, member] of chosen.entries()) {
						expect(rows[i]!.reason, member.id).toBe(
							ineligibility({ genders, types, units: unitIds }, member)
						);
					}
				}
			),
			{ numRuns: 12 }
		);
	});
});
