/**
 * The tag a create request writes into the Seam code's name is how a lost answer is found
 * again (and adopted instead of creating a second code). A guest's name is free text: it must
 * never pass for another guest code's tag, or one guest would be handed another's PIN.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { carriesTag, creationTag, isGuestCodeId, seamCodeName } from '../../src/domain/guest-code';

const id = fc.uuid().map((u) => `gc_${u.toLowerCase()}`);
const generation = fc.integer({ min: 0, max: 10 });

describe('creation tags', () => {
  it('a name carries its own tag, exactly', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), id, generation, (guest, gc, gen) => {
        const tag = creationTag(gc, gen);
        expect(carriesTag(seamCodeName(guest, tag), tag)).toBe(true);
      }),
    );
  });

  it("no guest name, however written, carries another guest code's tag", () => {
    const hostile = (other: string) =>
      fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.constant(`[${other}]`),
        fc
          .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }))
          .map(([a, b]) => `${a} [${other}]${b}`),
        fc.constant(`Mallory [${other}] [`),
        fc.constant(`${'x'.repeat(55)} [${other}]`),
      );
    fc.assert(
      fc.property(id, id, generation, generation, (mine, theirs, g1, g2) => {
        fc.pre(mine !== theirs || g1 !== g2);
        const other = creationTag(theirs, g2);
        fc.assert(
          fc.property(hostile(other), (guest) => {
            const name = seamCodeName(guest, creationTag(mine, g1));
            expect(carriesTag(name, other)).toBe(false);
            // Only the tag's brackets are left in the name.
            expect(name.match(/[[\]]/g)).toEqual(['[', ']']);
          }),
          { numRuns: 20 },
        );
      }),
      { numRuns: 50 },
    );
  });

  it('a tag anywhere but at the very end of a name written our way is not ours', () => {
    const tag = creationTag(`gc_${randomUUID()}`, 0);
    expect(carriesTag(`Ada [${tag}]`, tag)).toBe(true);
    expect(carriesTag(`[${tag}]`, tag)).toBe(true);
    expect(carriesTag(`Spare [${tag}] (front desk)`, tag)).toBe(false);
    expect(carriesTag(`Ada[${tag}]`, tag)).toBe(false);
    expect(carriesTag(`Mallory [x] [${tag}]`, tag)).toBe(false);
    expect(carriesTag(`Ada [${tag}]x`, tag)).toBe(false);
    expect(carriesTag(`Ada [${tag}1]`, tag)).toBe(false);
  });
});

describe('guest code ids', () => {
  it('only gc_<uuid> is an id; anything else is not looked up', () => {
    expect(isGuestCodeId(`gc_${randomUUID()}`)).toBe(true);
    for (const bad of [
      'x:timeline',
      `gc_${randomUUID()}:timeline`,
      `gc_${randomUUID().toUpperCase()}`,
      'gc_',
      '',
      '../gc',
      `gc_${randomUUID()}\n`,
    ]) {
      expect({ bad, valid: isGuestCodeId(bad) }).toEqual({ bad, valid: false });
    }
  });
});
