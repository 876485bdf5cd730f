/** @odoo-module **/

import { patch } from "@web/core/utils/patch";
import { StatusBarField } from "@web/views/fields/statusbar/statusbar_field";

// A deal whose stage change is refused by its gate: the stock statusbar keeps the
// refused stage as an unsaved change, so the form shows the deal where it is not.
// Put the stage back (or reload the deal, when the click was the only change), then let
// the refusal show as usual.
patch(StatusBarField.prototype, {
    async selectItem(item) {
        const { name, record } = this.props;
        if (record.resModel !== "crm.lead" || name !== "stage_id" || !record.resId) {
            return super.selectItem(...arguments);
        }
        const wasDirty = await record.isDirty();
        const previous = record.data[name];
        await record.update({ [name]: [item.value, item.label] });
        let failure = null;
        const saved = await record.save({
            onError: (error) => {
                failure = error;
                return false;
            },
        });
        if (failure) {
            if (wasDirty) {
                // a many2one's value in the record: [id, name], or false
                await record.update({ [name]: previous || false });
            } else {
                // the deal as it is on the server: discarding alone may restore a save point taken
                // after the click (the stage and the values its onchange brought stay)
                await record.load();
            }
            throw failure;
        }
        return saved;
    },
});
