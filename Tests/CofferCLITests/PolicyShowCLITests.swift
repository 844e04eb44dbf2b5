import Foundation
import Testing

/// `coffer policy show` through the real binary: the whole policy for those who manage it,
/// one's own role for everyone else.
@Suite(.serialized) struct PolicyShowCLITests {
    @Test func policyShowGivesAdminsTheWholePolicyAndOthersTheirOwnRole() throws {
        let (cli, admin, auditor, analyst) = try CLI.withAuditorAndAnalyst()
        let whole = try cli.run(["policy", "show"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let shipped = try String(contentsOfFile: CLI.repositoryRoot + "/policies/roles.yaml", encoding: .utf8)
        let digest = try #require(whole.stdout.split(separator: "\n").first.map(String.init))
        #expect(digest.hasPrefix("policy in force: digest ") && digest.contains(", revision 1, applied 20"))
        #expect(whole.stdout.hasSuffix(shipped.hasSuffix("\n") ? shipped : shipped + "\n"))
        let adminJSON = try #require(try json(try cli.run(["policy", "show", "--json"])) as? [String: Any])
        #expect(adminJSON["scope"] as? String == "whole" && adminJSON["revision"] as? Int == 1 && adminJSON["yaml"] as? String == shipped)
        #expect((adminJSON["roles"] as? [[String: Any]])?.map { $0["role"] as? String } == ["admin", "analyst", "sales", "support", "auditor"])
        #expect((adminJSON["applied_at"] as? String)?.hasSuffix("Z") == true)

        // Everyone else: their own role's section and views, and nothing of the other roles.
        cli.environment["COFFER_TOKEN"] = analyst
        let own = try cli.run(["policy", "show"])
        #expect(own.status == 0, "\(own.stderr)")
        #expect(own.stdout.contains("\nanalyst:\n  description:") && own.stdout.contains("role analyst: actions export, read, score"))
        #expect(!own.stdout.contains("admin:") && !own.stdout.contains("sales:") && !own.stdout.contains("manage_keys"))
        cli.environment["COFFER_TOKEN"] = auditor
        let auditorJSON = try #require(try json(try cli.run(["policy", "show", "--json"])) as? [String: Any])
        #expect(auditorJSON["scope"] as? String == "own_role" && auditorJSON["digest"] as? String == adminJSON["digest"] as? String)
        #expect((auditorJSON["roles"] as? [[String: Any]])?.map { $0["role"] as? String } == ["auditor"])
        #expect((auditorJSON["yaml"] as? String)?.hasPrefix("auditor:\n") == true)

        // A new policy is a new revision.
        cli.environment["COFFER_TOKEN"] = admin
        let changed = try cli.write("roles.yaml", shipped.replacingOccurrences(of: "Reads the audit log; sees no customer data.", with: "Reads the audit log."))
        #expect(try cli.run(["policy", "apply", changed]).status == 0)
        #expect(try cli.run(["policy", "show"]).stdout.contains(", revision 2, applied "))
        // A token that does not authenticate sees nothing.
        cli.environment["COFFER_TOKEN"] = "coffer_" + String(repeating: "0", count: 64)
        let locked = try cli.run(["policy", "show"])
        #expect(locked.status == 3 && locked.stdout.isEmpty)
    }
}
