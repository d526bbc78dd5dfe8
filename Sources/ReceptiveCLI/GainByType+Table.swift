// The gain-by-cell-type figures (Encoding.GainByType) as a printed table.
import Encoding
import Report

extension GainByType {
    func table() -> String {
        var t = Table(title: "fraction of the achievable gain (LL_fit − LL_null)/(LL_true − LL_null), by cell type",
                      columns: [.init("cell type", alignment: .left)] + models.map { .init($0, format: .fixed(3)) })
        for (type, g) in gains.sorted(by: { $0.key < $1.key }) { t.addRow([.text(type)] + models.map { .number(g[$0] ?? .nan) }) }
        return t.description
    }
}
