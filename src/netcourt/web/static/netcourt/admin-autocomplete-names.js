'use strict';
// The back office's person picker (Django's select2 autocomplete) shows its choice in an element
// of role "textbox" that select2 names only by the choice's title. An empty picker (a new staff
// row) would have no name at all: name it after its field ("Person") until a choice is made.
{
    const $ = django.jQuery;
    const init = $.fn.djangoAdminSelect2;

    function nameIfEmpty(select) {
        const widget = $(select).data('select2');
        if (!widget) {
            return;
        }
        const shown = widget.$container.find('.select2-selection__rendered');
        if (!shown.attr('title')) {
            shown.attr('title', select.getAttribute('aria-label') || '');
        }
    }

    $.fn.djangoAdminSelect2 = function() {
        const result = init.apply(this, arguments);
        $.each(this, function(i, select) {
            nameIfEmpty(select);
            $(select).on('change', () => nameIfEmpty(select));
        });
        return result;
    };
}
