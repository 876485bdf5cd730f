/** @odoo-module **/

import { WarningDialog } from "@web/core/errors/error_dialogs";
import { RPCError } from "@web/core/network/rpc";
import { patch } from "@web/core/utils/patch";
import { KanbanQuickCreateController } from "@web/views/kanban/kanban_record_quick_create";

// Quick-creating a deal in a gated column: the stock quick create answers any
// server error by opening the full form, which hides why the deal was refused.
// A refusal (UserError) on a deal is shown as such; the card keeps what was typed.
patch(KanbanQuickCreateController.prototype, {
    showFormDialogInError(error) {
        if (
            this.props.resModel === "crm.lead" &&
            error instanceof RPCError &&
            error.exceptionName === "odoo.exceptions.UserError"
        ) {
            this.addDialog(WarningDialog, {
                message: error.data.message,
                exceptionName: error.exceptionName,
                data: error.data,
            });
            return;
        }
        return super.showFormDialogInError(...arguments);
    },
});
