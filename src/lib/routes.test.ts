import { describe, expect, it } from 'vitest';
import { loginThenPath, officeSheetPath, scanPath, ticketPath } from './routes.ts';

describe('routes', () => {
	it('builds the addresses the pages link to', () => {
		expect(ticketPath('r1')).toBe('/tickets/r1');
		expect(scanPath('a1')).toBe('/scan/a1');
		expect(scanPath('a1', '2027-03-01')).toBe('/scan/a1?day=2027-03-01');
		expect(officeSheetPath('a1')).toBe('/office/activities/a1/sheet');
		expect(officeSheetPath('a1', 's1')).toBe('/office/activities/a1/sheet?session=s1');
		expect(loginThenPath('/t/x y')).toBe('/login?next=%2Ft%2Fx%20y');
	});
});
