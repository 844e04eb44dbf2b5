import Coffer
import Testing

/// The one grammar for days and times (review periods, audit log windows).
@Suite struct DateInputTests {
    let today = CivilDate(year: 2026, month: 3, day: 1)

    @Test func daysInEverydayWords() {
        #expect(DateInput.day("today", .start, today: today) == today)
        #expect(DateInput.day("TODAY", .end, today: today) == today)
        #expect(DateInput.day(" Yesterday ", .start, today: today) == CivilDate(year: 2026, month: 2, day: 28))
        #expect(DateInput.day("2024-02-29", .start, today: today) == CivilDate(year: 2024, month: 2, day: 29))
        #expect(DateInput.day("2024-02", .start, today: today) == CivilDate(year: 2024, month: 2, day: 1))
        #expect(DateInput.day("2024-02", .end, today: today) == CivilDate(year: 2024, month: 2, day: 29))
        #expect(DateInput.day("2026-04", .end, today: today) == CivilDate(year: 2026, month: 4, day: 30))
        for bad in ["", "tomorrow", "2026-13", "2026-1", "2026-02-30", "03/01/2026", "2026-03-01T00:00", "202603"] {
            #expect(DateInput.day(bad, .start, today: today) == nil, "\(bad)")
        }
    }

    @Test func timesWithOrWithoutAZone() {
        let midnight = Int64(today.daysSinceEpoch) * 86_400_000
        #expect(DateInput.milliseconds("2026-03-01T10:30", .start) == midnight + 37_800_000)
        #expect(DateInput.milliseconds("2026-03-01 10:30:15", .start) == midnight + 37_815_000)
        #expect(DateInput.milliseconds("2026-03-01T10:30:15.25", .start) == midnight + 37_815_250)
        #expect(DateInput.milliseconds("2026-03-01T10:30:15.123456Z", .start) == midnight + 37_815_123)
        #expect(DateInput.milliseconds("2026-03-01T10:30z", .start) == midnight + 37_800_000)
        #expect(DateInput.milliseconds("2026-03-01T12:30+02:00", .start) == midnight + 37_800_000)
        #expect(DateInput.milliseconds("2026-03-01T05:30-0500", .start) == midnight + 37_800_000)
        #expect(DateInput.milliseconds("2026-03-01T12:30+02", .start) == midnight + 37_800_000)
        // A day: its start, or (ending a window, which is exclusive) the start of the next.
        #expect(DateInput.milliseconds("2026-03-01", .start) == midnight)
        #expect(DateInput.milliseconds("2026-03-01", .end) == midnight + 86_400_000)
        #expect(DateInput.milliseconds("today", .end, today: today) == midnight + 86_400_000)
        #expect(DateInput.milliseconds("2026-02", .end, today: today) == midnight)
        for bad in ["2026-03-01T24:00", "2026-03-01T10:60", "2026-03-01T10:30:61", "2026-03-01T10:30+2", "2026-03-01T10:30 UTC",
                    "2026-03-01T10", "2026-03-01T10:30:15.", "2026-03-01T10:30+19:00", "noon"] {
            #expect(DateInput.milliseconds(bad, .start) == nil, "\(bad)")
        }
    }
}
